/*
 * bench-varlink: round trips and throughput of iommu-capd's varlink server, against a raw AF_UNIX
 * echo of the same bytes and against systemd 257's sd-varlink (systemd-creds), in one run.
 */
#include "config.h"

#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>

#include "lib/macro.h"
#include "varlink/client.h"

#define GETINFO_CALL "{\"method\":\"org.varlink.service.GetInfo\"}"
#define SMOKE_TREE   "tests/fixtures/x86-q72-k612-c-amd"
#define BUF_SIZE     (64 * 1024) /* a client's receive buffer; replies here are < 4 KiB */
#define MAX_CLIENTS  256
#define MAX_COUNTS   8
#define MAX_REPS     101
#define MAX_COMPARE  3

/* ---- small helpers ----------------------------------------------------------------------- */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

_printf_(1, 2) static void fail(const char *fmt, ...);

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(const double *v, unsigned n)
{
	double s[MAX_REPS];

	if (n == 0)
		return 0;
	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* Nearest rank: the smallest value with at least p% of the samples at or below it. */
static uint64_t percentile(const uint64_t *sorted, size_t n, double p)
{
	size_t rank = (size_t)(p / 100.0 * (double)n + 0.999999);

	return sorted[rank ? rank - 1 : 0];
}

/* ---- the processes this program starts, and their cleanup -------------------------------- */

/*
 * Where the servers and this program's clients run. On a VM, a wake-up on an idle CPU costs far
 * more than the work of a round trip, and whether the scheduler wakes the server on the client's
 * CPU or on the other one changes the round trip several times over: so every measurement is
 * made with the placement left to the scheduler ("free") and with servers and clients on one
 * CPU ("same": no cross-CPU wake-ups, the round trip is the CPU work of both ends). "split" puts
 * the servers on the last CPU and the clients on CPU 0.
 */
enum placement { PLACE_FREE, PLACE_SAME, PLACE_SPLIT, _PLACE_MAX };

static const char *const placement_names[_PLACE_MAX] = { "free", "same", "split" };
static const char *const placement_desc[_PLACE_MAX] = {
	"not pinned: the scheduler places servers and clients",
	"servers and clients pinned to one CPU",
	"servers pinned to one CPU, clients to another",
};

static cpu_set_t all_cpus;

static int last_cpu(void)
{
	int last = 0;

	for (int i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &all_cpus))
			last = i;
	return last;
}

static int first_cpu(void)
{
	for (int i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &all_cpus))
			return i;
	return 0;
}

static void cpus_of(enum placement p, bool server, cpu_set_t *set)
{
	if (p == PLACE_FREE) {
		*set = all_cpus;
		return;
	}
	CPU_ZERO(set);
	CPU_SET(p == PLACE_SPLIT && !server ? first_cpu() : last_cpu(), set);
}

/* Every thread of a process (0: this one's calling thread, whose new threads inherit it). */
static void set_affinity(pid_t pid, const cpu_set_t *set)
{
	char path[64];
	struct dirent *de;
	DIR *d;

	if (pid == 0) {
		if (sched_setaffinity(0, sizeof(*set), set) < 0)
			fprintf(stderr, "bench-varlink: sched_setaffinity: %m\n");
		return;
	}
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.')
			(void)sched_setaffinity((pid_t)atoi(de->d_name), sizeof(*set), set);
	if (d)
		closedir(d);
}

#define MAX_CHILDREN 16
#define MAX_FILES    32

static struct {
	char dir[256]; /* sockets and logs, removed at the end */
	pid_t pids[MAX_CHILDREN];
	unsigned n_pids;
	unsigned n_files;
} run;
static char run_files[MAX_FILES][PATH_MAX];

/* Async-signal-safe: called from the signal handler too. */
static void cleanup_files(void)
{
	for (unsigned i = 0; i < run.n_files; i++)
		unlink(run_files[i]);
	if (run.dir[0])
		rmdir(run.dir);
}

static void kill_all(int sig)
{
	for (unsigned i = 0; i < run.n_pids; i++)
		if (run.pids[i] > 0)
			kill(run.pids[i], sig);
}

static void reap(pid_t pid)
{
	for (unsigned i = 0; i < run.n_pids; i++)
		if (run.pids[i] == pid)
			run.pids[i] = 0;
}

/* SIGTERM, up to 2 s to go, then SIGKILL. */
static void stop_child(pid_t pid)
{
	uint64_t deadline = now_ns() + 2000000000u;

	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	while (waitpid(pid, NULL, WNOHANG) == 0) {
		if (now_ns() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			break;
		}
		usleep(5000);
	}
	reap(pid);
}

static void cleanup(void)
{
	for (unsigned i = 0; i < run.n_pids; i++)
		stop_child(run.pids[i]);
	cleanup_files();
}

static void on_signal(int sig)
{
	kill_all(SIGKILL);
	for (unsigned i = 0; i < run.n_pids; i++)
		if (run.pids[i] > 0)
			waitpid(run.pids[i], NULL, 0);
	cleanup_files();
	signal(sig, SIG_DFL);
	raise(sig);
}

static const char *run_file(const char *name)
{
	if (run.n_files == MAX_FILES)
		fail("too many files");
	snprintf(run_files[run.n_files], PATH_MAX, "%s/%s", run.dir, name);
	return run_files[run.n_files++];
}

_printf_(1, 2) static void fail(const char *fmt, ...)
{
	va_list ap;

	fputs("bench-varlink: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_FAILURE); /* the atexit handler stops the servers */
}

static void dump_log(const char *log)
{
	char line[512];
	FILE *f = fopen(log, "re");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		fprintf(stderr, "  | %s", line);
	fclose(f);
}

/*
 * Start argv[0] with stdout and stderr into log. The child dies with this process
 * (PR_SET_PDEATHSIG survives the exec of a non-setuid program), also on SIGKILL.
 */
static pid_t spawn(char *const argv[], const char *env, const char *log)
{
	pid_t parent = getpid(), pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		fail("fork: %m");
	if (pid == 0) {
		sigset_t none;
		int fd;

		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(127);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd >= 0)
			dup2(fd, STDIN_FILENO);
		/* Not ours to take: the daemon would serve passed sockets instead of --listen. */
		unsetenv("LISTEN_FDS");
		unsetenv("LISTEN_PID");
		unsetenv("LISTEN_FDNAMES");
		unsetenv("NOTIFY_SOCKET");
		unsetenv("WATCHDOG_USEC");
		if (env)
			putenv((char *)env);
		execv(argv[0], argv);
		fprintf(stderr, "exec %s: %m\n", argv[0]);
		_exit(127);
	}
	if (run.n_pids == MAX_CHILDREN)
		fail("too many children");
	run.pids[run.n_pids++] = pid;
	return pid;
}

/* VmRSS of a process, in KiB (-1 if unknown). */
static long vm_kib(pid_t pid, const char *field)
{
	char path[64], line[256];
	size_t flen = strlen(field);
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, field, flen) == 0 && line[flen] == ':') {
			v = strtol(line + flen + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/* The CPU time of a whole process (all its threads, also those that have ended), in ns. */
static uint64_t process_cpu_ns(pid_t pid)
{
	clockid_t clk;
	struct timespec ts;

	if (clock_getcpuclockid(pid, &clk) != 0 || clock_gettime(clk, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- client side ------------------------------------------------------------------------- */

/*
 * One call: send req (its NUL included), read until the reply's NUL. No call is pipelined, so
 * the NUL is the last byte of what arrives. Returns the reply's length with its NUL.
 */
static ssize_t round_trip(int fd, const char *req, size_t len, char *buf, size_t cap)
{
	size_t got = 0;
	int k = vl_send_all(fd, req, len);

	if (k < 0)
		return k;
	do {
		ssize_t n = vl_recv_some(fd, buf + got, cap - got);

		if (n < 0)
			return n;
		got += (size_t)n;
		if (got == cap && buf[got - 1] != 0)
			return -EMSGSIZE;
	} while (buf[got - 1] != 0);
	return (ssize_t)got;
}

/* A call of any size (ListUnits): the reply in a buffer that grows; the caller frees it. */
static char *call_any(int fd, const char *req, size_t *ret_len)
{
	size_t cap = BUF_SIZE, got = 0;
	char *buf = malloc(cap);

	if (!buf || vl_send_all(fd, req, strlen(req) + 1) < 0) {
		free(buf);
		return NULL;
	}
	for (;;) {
		ssize_t n;

		if (got == cap) {
			char *nb = realloc(buf, cap *= 2);

			if (!nb)
				break;
			buf = nb;
		}
		n = recv(fd, buf + got, cap - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
		if (buf[got - 1] == 0) {
			*ret_len = got;
			return buf;
		}
	}
	free(buf);
	return NULL;
}

/* A reply as JSON (without its NUL), or NULL when it is not one NUL-terminated JSON object. */
static json_t *parse_reply(const char *buf, size_t len)
{
	json_t *j;

	if (len == 0 || buf[len - 1] != 0 || memchr(buf, 0, len - 1))
		return NULL;
	j = json_loadb(buf, len - 1, JSON_REJECT_DUPLICATES, NULL);
	if (j && !json_is_object(j)) {
		json_decref(j);
		return NULL;
	}
	return j;
}

static char *make_get_unit(const char *name)
{
	char *s = NULL;
	json_t *j = json_pack("{s:s, s:{s:s}}", "method", "io.iommucapd.GetUnit", "parameters",
			      "name", name);

	if (j)
		s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(j);
	if (!s)
		fail("out of memory");
	return s;
}

/* ---- the echo servers -------------------------------------------------------------------- */

static int listen_unix(const char *path, bool nonblock)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), 0);

	if (fd < 0 || strlen(path) >= sizeof(sa.sun_path))
		return -1;
	strcpy(sa.sun_path, path);
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, SOMAXCONN) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Blocking: read whatever arrives, write exactly those bytes back. */
static void *echo_conn(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char *buf = malloc(BUF_SIZE);

	for (ssize_t n; buf && (n = read(fd, buf, BUF_SIZE)) != 0;) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (vl_send_all(fd, buf, (size_t)n) < 0)
			break;
	}
	free(buf);
	close(fd);
	return NULL;
}

/* The "echo" baseline: one blocking thread per connection. */
static _Noreturn void echo_threads_main(int lfd)
{
	pthread_attr_t attr;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	for (;;) {
		pthread_t t;
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			_exit(1);
		}
		if (pthread_create(&t, &attr, echo_conn, (void *)(intptr_t)fd) != 0)
			close(fd);
	}
}

/* The "echo-epoll" variant: one thread, level-triggered epoll, as the daemon is built. */
static _Noreturn void echo_epoll_main(int lfd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = lfd }, evs[64];
	static char buf[BUF_SIZE];
	int ep = epoll_create1(EPOLL_CLOEXEC);

	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) < 0)
		_exit(1);
	for (;;) {
		int n = epoll_wait(ep, evs, ELEMENTSOF(evs), -1);

		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			ssize_t r;

			if (fd == lfd) {
				int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

				ev = (struct epoll_event){ .events = EPOLLIN, .data.fd = c };
				if (c >= 0 && epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev) < 0)
					close(c);
				continue;
			}
			r = recv(fd, buf, BUF_SIZE, MSG_DONTWAIT);
			if (r < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (r > 0) {
				/* Small replies: a full socket buffer is waited out in place. */
				for (size_t off = 0; off < (size_t)r;) {
					ssize_t w = send(fd, buf + off, (size_t)r - off,
							 MSG_NOSIGNAL | MSG_DONTWAIT);

					if (w < 0 && errno == EAGAIN) {
						struct pollfd p = { .fd = fd, .events = POLLOUT };

						poll(&p, 1, -1);
						continue;
					}
					if (w < 0 && errno == EINTR)
						continue;
					if (w < 0) {
						r = -1;
						break;
					}
					off += (size_t)w;
				}
			}
			if (r <= 0)
				close(fd); /* also removes it from the epoll set */
		}
	}
}

static pid_t spawn_echo(const char *path, bool use_epoll)
{
	int lfd = listen_unix(path, use_epoll);
	pid_t parent = getpid(), pid;

	if (lfd < 0)
		fail("cannot listen on %s: %m", path);
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		fail("fork: %m");
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(127);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		if (use_epoll)
			echo_epoll_main(lfd);
		echo_threads_main(lfd);
	}
	close(lfd);
	if (run.n_pids == MAX_CHILDREN)
		fail("too many children");
	run.pids[run.n_pids++] = pid;
	return pid;
}

/* ---- servers and what is asked of them --------------------------------------------------- */

struct server {
	const char *name;
	const char *sock;
	const char *log;
	pid_t pid;
	int keeper; /* one idle connection, open for the whole run (see wait_ready) */
	uint64_t start_ticks;
};

/* The start time of a process, to tell it from a later one with the same pid. */
static uint64_t start_ticks(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')'))) {
		/* Field 22 (starttime); the 20th space after the comm's ")". */
		for (int i = 0; i < 20 && p; i++)
			p = strchr(p + 1, ' ');
		if (p)
			v = strtoull(p + 1, NULL, 10);
	}
	fclose(f);
	return v;
}

/*
 * Wait until the server accepts a connection, and keep that connection: sd-varlink's
 * sd_varlink_server_loop_auto() (systemd-creds) exits when its last connection closes, so an
 * idle one stays open until the end. Every server gets one, alike.
 */
static void wait_ready(struct server *s)
{
	uint64_t deadline = now_ns() + 120 * 1000000000ull;

	for (;;) {
		int fd = vl_connect_unix(s->sock), status;

		if (fd >= 0) {
			s->keeper = fd;
			s->start_ticks = start_ticks(s->pid);
			return;
		}
		if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
			reap(s->pid);
			fprintf(stderr, "bench-varlink: %s exited before it listened; its log:\n",
				s->name);
			dump_log(s->log);
			exit(EXIT_FAILURE);
		}
		if (now_ns() > deadline)
			fail("%s does not listen on %s", s->name, s->sock);
		usleep(10000);
	}
}

static bool server_alive(const struct server *s)
{
	return s->pid > 0 && kill(s->pid, 0) == 0 && start_ticks(s->pid) == s->start_ticks &&
	       waitpid(s->pid, NULL, WNOHANG) == 0;
}

static void server_stop(struct server *s)
{
	if (s->keeper >= 0) {
		close(s->keeper);
		usleep(20000); /* an echo thread sees its end of file and exits */
	}
	s->keeper = -1;
	stop_child(s->pid);
	s->pid = 0;
}

static void start_daemon(struct server *s, const char *daemon, const char *tree)
{
	char listen[PATH_MAX + 8];
	char *argv[] = { (char *)daemon, (char *)"--sysroot",
			 (char *)tree,	 (char *)"--listen",
			 listen,	 NULL };

	snprintf(listen, sizeof(listen), "unix:%s", s->sock);
	s->pid = spawn(argv, NULL, s->log);
	wait_ready(s);
}

static void start_systemd(struct server *s, const char *run_trixie)
{
	static char env[PATH_MAX + 32];
	char *argv[] = { (char *)run_trixie, (char *)"systemd-creds", NULL };

	/* One long-lived process listening on the path (no socket activation, no Accept=yes). */
	snprintf(env, sizeof(env), "SYSTEMD_VARLINK_LISTEN=%s", s->sock);
	s->pid = spawn(argv, env, s->log);
	wait_ready(s);
}

static void start_echo(struct server *s, bool use_epoll)
{
	s->pid = spawn_echo(s->sock, use_epoll);
	wait_ready(s);
}

/* One row of the table: a server and the call made to it. */
struct target {
	const char *label;
	struct server *srv;
	char *req; /* with its NUL */
	size_t req_len;
	size_t reply_len; /* expected, with the NUL: replies to the same call are identical */
	bool is_echo;
	double p50[_PLACE_MAX][MAX_REPS], p99[_PLACE_MAX][MAX_REPS];
	double tput[_PLACE_MAX][MAX_COUNTS][MAX_REPS];
	double cpu_us[_PLACE_MAX][MAX_COUNTS][MAX_REPS]; /* server CPU time per call */
};

static void target_init(struct target *t, const char *label, struct server *srv, const char *req,
			bool is_echo)
{
	char *buf = malloc(BUF_SIZE);
	ssize_t n;

	memset(t, 0, sizeof(*t));
	t->label = label;
	t->srv = srv;
	t->req_len = strlen(req) + 1;
	t->req = malloc(t->req_len);
	if (!t->req || !buf)
		fail("out of memory");
	memcpy(t->req, req, t->req_len);
	t->is_echo = is_echo;
	/* The first call, on the kept connection: the reply is checked and its length noted. */
	n = round_trip(srv->keeper, t->req, t->req_len, buf, BUF_SIZE);
	if (n < 0)
		fail("%s: %s", label, strerror((int)-n));
	if (is_echo) {
		if ((size_t)n != t->req_len || memcmp(buf, t->req, t->req_len) != 0)
			fail("%s: the echo differs from what was sent", label);
	} else {
		json_t *j = parse_reply(buf, (size_t)n);

		if (!j || !json_is_object(json_object_get(j, "parameters")) ||
		    json_object_get(j, "error"))
			fail("%s: not a varlink reply: %.*s", label, (int)n, buf);
		json_decref(j);
	}
	t->reply_len = (size_t)n;
	free(buf);
}

static void target_free(struct target *t)
{
	free(t->req);
}

/* ---- latency: sequential round trips on one connection ----------------------------------- */

static void run_latency(struct target *t, unsigned calls, unsigned warmup, double *p50, double *p99)
{
	uint64_t *lat = malloc(calls * sizeof(*lat));
	char *buf = malloc(BUF_SIZE);
	int fd = vl_connect_unix(t->srv->sock);

	if (!lat || !buf)
		fail("out of memory");
	if (fd < 0)
		fail("%s: connect: %s", t->label, strerror(-fd));
	for (unsigned i = 0; i < warmup + calls; i++) {
		uint64_t t0 = now_ns();
		ssize_t n = round_trip(fd, t->req, t->req_len, buf, BUF_SIZE);

		if (n != (ssize_t)t->reply_len)
			fail("%s: round trip %u: %s", t->label, i,
			     n < 0 ? strerror((int)-n) : "reply of another length");
		if (i >= warmup)
			lat[i - warmup] = now_ns() - t0;
	}
	close(fd);
	qsort(lat, calls, sizeof(*lat), cmp_u64);
	*p50 = (double)percentile(lat, calls, 50) / 1000.0;
	*p99 = (double)percentile(lat, calls, 99) / 1000.0;
	free(lat);
	free(buf);
}

/* ---- throughput: C clients, each on its own connection, back to back --------------------- */

struct client {
	pthread_t thread;
	const struct target *t;
	int fd;
	unsigned long calls, max_calls; /* max_calls 0: until told to stop */
	const char *err;
	char *const *reqs; /* the RSS run: GetInfo and GetUnit of every unit, in turn */
	size_t n_reqs, first;
};

static atomic_bool clients_stop;
static pthread_barrier_t clients_start;

static void *client_main(void *arg)
{
	struct client *c = arg;
	char *buf = malloc(BUF_SIZE);

	pthread_barrier_wait(&clients_start);
	if (!buf) {
		c->err = "out of memory";
		return NULL;
	}
	while (c->max_calls ? c->calls < c->max_calls
			    : !atomic_load_explicit(&clients_stop, memory_order_relaxed)) {
		ssize_t n;

		if (c->reqs) {
			const char *req = c->reqs[(c->first + c->calls) % c->n_reqs];

			n = round_trip(c->fd, req, strlen(req) + 1, buf, BUF_SIZE);
			if (n > 0 && !startswith(buf, "{\"parameters\":{")) {
				c->err = "an error reply";
				break;
			}
		} else {
			n = round_trip(c->fd, c->t->req, c->t->req_len, buf, BUF_SIZE);
			if (n > 0 && (size_t)n != c->t->reply_len) {
				c->err = "a reply of another length";
				break;
			}
		}
		if (n < 0) {
			c->err = strerror((int)-n);
			break;
		}
		c->calls++;
	}
	free(buf);
	return NULL;
}

/*
 * Run n clients against t (or, with reqs, the mixed calls) for seconds, or max_calls each.
 * Returns calls per second; *cpu_us is the server's CPU time per call.
 */
static double run_clients(const struct target *t, struct server *srv, unsigned n, double seconds,
			  unsigned long max_calls, char *const *reqs, size_t n_reqs, double *cpu_us)
{
	struct client *cl = calloc(n, sizeof(*cl));
	unsigned long total = 0;
	uint64_t t0, t1, cpu0, cpu1;

	if (!cl)
		fail("out of memory");
	for (unsigned i = 0; i < n; i++) {
		cl[i].t = t;
		cl[i].max_calls = max_calls;
		cl[i].reqs = reqs;
		cl[i].n_reqs = n_reqs;
		cl[i].first = (size_t)i * 131;
		cl[i].fd = vl_connect_unix(srv->sock);
		if (cl[i].fd < 0)
			fail("%s: connect: %s", srv->name, strerror(-cl[i].fd));
	}
	atomic_store(&clients_stop, false);
	pthread_barrier_init(&clients_start, NULL, n + 1);
	for (unsigned i = 0; i < n; i++)
		if (pthread_create(&cl[i].thread, NULL, client_main, &cl[i]) != 0)
			fail("pthread_create failed");
	cpu0 = process_cpu_ns(srv->pid);
	t0 = now_ns();
	pthread_barrier_wait(&clients_start);
	if (!max_calls) {
		struct timespec ts = { (time_t)seconds,
				       (long)((seconds - (double)(time_t)seconds) * 1e9) };

		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
		atomic_store(&clients_stop, true);
	}
	for (unsigned i = 0; i < n; i++)
		pthread_join(cl[i].thread, NULL);
	t1 = now_ns(); /* the calls in flight at the stop are counted, and so is their time */
	cpu1 = process_cpu_ns(srv->pid);
	pthread_barrier_destroy(&clients_start);
	for (unsigned i = 0; i < n; i++) {
		if (cl[i].err)
			fail("%s, client %u of %u: %s", t ? t->label : srv->name, i, n, cl[i].err);
		total += cl[i].calls;
		close(cl[i].fd);
	}
	free(cl);
	if (cpu_us)
		*cpu_us = total ? (double)(cpu1 - cpu0) / 1000.0 / (double)total : 0;
	return (double)total / ((double)(t1 - t0) / 1e9);
}

/* ---- the unit names (ListUnits) ---------------------------------------------------------- */

static char **list_units(struct server *s, size_t *ret_n)
{
	static const char req[] = "{\"method\":\"io.iommucapd.ListUnits\"}";
	size_t len, i;
	char *buf = call_any(s->keeper, req, &len), **names;
	json_t *j = buf ? parse_reply(buf, len) : NULL, *units, *u;

	units = json_object_get(json_object_get(j, "parameters"), "units");
	if (!json_is_array(units) || json_array_size(units) == 0)
		fail("ListUnits: no units in the reply");
	names = calloc(json_array_size(units), sizeof(*names));
	if (!names)
		fail("out of memory");
	json_array_foreach (units, i, u) {
		const char *name = json_string_value(json_object_get(u, "name"));

		if (!name || !(names[i] = strdup(name)))
			fail("ListUnits: a unit without a name");
	}
	*ret_n = json_array_size(units);
	json_decref(j);
	free(buf);
	return names;
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* GetInfo and GetUnit of each unit, alternately. */
static char **mixed_requests(char **names, size_t n_names, size_t *ret_n)
{
	char **reqs = calloc(2 * n_names, sizeof(*reqs));

	if (!reqs)
		fail("out of memory");
	for (size_t i = 0; i < n_names; i++) {
		reqs[2 * i] = strdup(GETINFO_CALL);
		reqs[2 * i + 1] = make_get_unit(names[i]);
		if (!reqs[2 * i])
			fail("out of memory");
	}
	*ret_n = 2 * n_names;
	return reqs;
}

/* ---- RSS across a million queries -------------------------------------------------------- */

struct rss_series {
	const char *label;
	long idle, hwm;
	unsigned n;
	unsigned long at[64];
	long rss[64];
	double secs;
};

static void run_rss(struct rss_series *r, struct server *s, char *const *reqs, size_t n_reqs,
		    unsigned long queries, unsigned long step, unsigned clients)
{
	uint64_t t0 = now_ns();

	r->idle = vm_kib(s->pid, "VmRSS");
	fprintf(stderr, "  %s: idle %ld KiB", r->label, r->idle);
	for (unsigned long done = 0; done < queries && r->n < ELEMENTSOF(r->at);) {
		unsigned long chunk = queries - done < step ? queries - done : step;

		/* Fresh connections for every step: connection set-up and teardown are in it. */
		run_clients(NULL, s, clients, 0, chunk / clients, reqs, n_reqs, NULL);
		done += chunk / clients * clients;
		r->at[r->n] = done;
		r->rss[r->n++] = vm_kib(s->pid, "VmRSS");
		fprintf(stderr, ", %lu: %ld", done, r->rss[r->n - 1]);
	}
	r->hwm = vm_kib(s->pid, "VmHWM");
	r->secs = (double)(now_ns() - t0) / 1e9;
	fprintf(stderr, " (%.1f s)\n", r->secs);
}

static void print_rss(const struct rss_series *r)
{
	long first = r->n ? r->rss[0] : 0, last = r->n ? r->rss[r->n - 1] : 0, lo = first,
	     hi = first;

	for (unsigned i = 0; i < r->n; i++) {
		lo = r->rss[i] < lo ? r->rss[i] : lo;
		hi = r->rss[i] > hi ? r->rss[i] : hi;
	}
	printf("%s: VmRSS idle %ld KiB\n", r->label, r->idle);
	for (unsigned i = 0; i < r->n; i++)
		printf("  after %7lu queries: %ld KiB (%+ld)\n", r->at[i], r->rss[i],
		       r->rss[i] - r->idle);
	printf("  from %lu to %lu queries: %+ld KiB (min %ld, max %ld); VmHWM %ld KiB; "
	       "%.0f queries/s\n",
	       r->n ? r->at[0] : 0, r->n ? r->at[r->n - 1] : 0, last - first, lo, hi, r->hwm,
	       r->n ? (double)r->at[r->n - 1] / r->secs : 0);
}

/* ---- the report -------------------------------------------------------------------------- */

static void print_header(pid_t sd_pid, unsigned reps, unsigned calls, double duration)
{
	char host[256] = "", model[512] = "?", line[512], date[64];
	struct utsname u;
	time_t now = time(NULL);
	FILE *f = fopen("/proc/cpuinfo", "re");
	double load[3] = { 0, 0, 0 };

	while (f && fgets(line, sizeof(line), f))
		if (startswith(line, "model name")) {
			char *p = strchr(line, ':');

			snprintf(model, sizeof(model), "%s", p ? p + 2 : line);
			model[strcspn(model, "\n")] = 0;
			break;
		}
	if (f)
		fclose(f);
	uname(&u);
	gethostname(host, sizeof(host) - 1);
	getloadavg(load, 3);
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M", localtime(&now));
	printf("bench-varlink %s, %s, %d CPUs (%s), Linux %s, jansson %s, load average at the end "
	       "%.2f %.2f %.2f\n",
	       date, u.machine, CPU_COUNT(&all_cpus), model, u.release, JANSSON_VERSION, load[0],
	       load[1], load[2]);
	printf("%u interleaved runs; per run and target: %u timed round trips, %.1f s per "
	       "throughput point\n",
	       reps, calls, duration);
	if (sd_pid)
		printf("systemd 257: systemd-creds, one process (pid %d) listening on "
		       "$SYSTEMD_VARLINK_LISTEN, the same one from start to end\n",
		       (int)sd_pid);
}

static void print_tables(struct target *ts, unsigned n_t, int epoll_i, enum placement pl,
			 const unsigned *counts, unsigned n_counts, unsigned reps)
{
	const struct target *echo = &ts[0], *ep = epoll_i >= 0 ? &ts[epoll_i] : NULL;
	double e50 = median(echo->p50[pl], reps), ep50 = ep ? median(ep->p50[pl], reps) : 0;

	printf("\n[%s] %s\n", placement_names[pl], placement_desc[pl]);
	printf("round trips, one client, sequential (median over the runs of each run's p50, "
	       "p99)\n");
	printf("%-28s %6s %6s %8s %8s %8s %9s %8s\n", "", "req-B", "rep-B", "p50-us", "p99-us",
	       "p50/echo", "+us/echo", "p50/epoll");
	for (unsigned i = 0; i < n_t; i++) {
		const struct target *t = &ts[i];
		double p50 = median(t->p50[pl], reps);

		printf("%-28s %6zu %6zu %8.2f %8.2f %8.3f %+9.2f", t->label, t->req_len,
		       t->reply_len, p50, median(t->p99[pl], reps), p50 / e50, p50 - e50);
		if (ep)
			printf(" %8.3f", p50 / ep50);
		printf("\n");
	}
	printf("throughput, calls/s (median over the runs), ratio to echo and to echo-epoll, "
	       "server CPU us per call\n");
	printf("%-28s", "");
	for (unsigned c = 0; c < n_counts; c++)
		printf(" %8s%-3u %6s %6s %6s", "clients=", counts[c], "/echo", "/epoll", "cpu-us");
	printf("\n");
	for (unsigned i = 0; i < n_t; i++) {
		const struct target *t = &ts[i];

		printf("%-28s", t->label);
		for (unsigned c = 0; c < n_counts; c++) {
			double tp = median(t->tput[pl][c], reps);

			printf(" %11.0f %6.3f", tp, tp / median(echo->tput[pl][c], reps));
			if (ep)
				printf(" %6.3f", tp / median(ep->tput[pl][c], reps));
			else
				printf(" %6s", "-");
			printf(" %6.2f", median(t->cpu_us[pl][c], reps));
		}
		printf("\n");
	}
}

/* The per-run ratios (min..max over the runs). */
static void ratio_range(const double *v, const double *e, unsigned reps, double *lo, double *hi)
{
	*lo = 1e9;
	*hi = 0;
	for (unsigned r = 0; r < reps; r++) {
		double x = v[r] / e[r];

		*lo = x < *lo ? x : *lo;
		*hi = x > *hi ? x : *hi;
	}
}

static void print_targets(const struct target *echo, const struct target *getinfo,
			  const struct target *sd, enum placement pl, const unsigned *counts,
			  unsigned n_counts, unsigned reps)
{
	double e50 = median(echo->p50[pl], reps), r = median(getinfo->p50[pl], reps) / e50, lo, hi;
	int c8 = -1;

	printf("[%s]\n", placement_names[pl]);
	ratio_range(getinfo->p50[pl], echo->p50[pl], reps, &lo, &hi);
	printf("  GetInfo p50 <= 1.15 x echo: %.3f (runs %.3f..%.3f): %s\n", r, lo, hi,
	       r <= 1.15 ? "met" : "NOT met");
	if (sd) {
		double rs = median(sd->p50[pl], reps) / e50;

		ratio_range(sd->p50[pl], echo->p50[pl], reps, &lo, &hi);
		printf("  GetInfo p50 ratio below systemd 257's: %.3f vs %.3f (systemd runs "
		       "%.3f..%.3f): %s\n",
		       r, rs, lo, hi, r < rs ? "met" : "NOT met");
	}
	for (unsigned c = 0; c < n_counts; c++)
		if (counts[c] == 8)
			c8 = (int)c;
	if (c8 >= 0) {
		double t8 = median(getinfo->tput[pl][c8], reps) / median(echo->tput[pl][c8], reps);

		ratio_range(getinfo->tput[pl][c8], echo->tput[pl][c8], reps, &lo, &hi);
		printf("  8-client GetInfo throughput >= 0.6 x echo: %.3f (runs %.3f..%.3f): %s",
		       t8, lo, hi, t8 >= 0.6 ? "met" : "NOT met");
		if (sd)
			printf(" (systemd 257: %.3f)",
			       median(sd->tput[pl][c8], reps) / median(echo->tput[pl][c8], reps));
		printf("\n");
	}
}

static void print_rss_target(const struct rss_series *rss)
{
	long growth;

	if (rss->n < 2)
		return;
	growth = rss->rss[rss->n - 1] - rss->rss[0];
	printf("RSS flat across %lu queries (at most +256 KiB from %lu to %lu queries): %+ld KiB "
	       "(idle %ld KiB): %s\n",
	       rss->at[rss->n - 1], rss->at[0], rss->at[rss->n - 1], growth, rss->idle,
	       growth <= 256 ? "met" : "NOT met");
}

/* ---- smoke test (make check) ------------------------------------------------------------- */

static void smoke_check_getinfo(const char *buf, size_t n)
{
	json_t *j = parse_reply(buf, n), *p = json_object_get(j, "parameters"), *ifs, *v;
	bool have_own = false, have_service = false;
	size_t i;

	ifs = json_object_get(p, "interfaces");
	if (!j || json_object_get(j, "error") || !json_is_string(json_object_get(p, "vendor")) ||
	    !json_is_string(json_object_get(p, "product")) ||
	    !json_is_string(json_object_get(p, "version")) ||
	    !json_is_string(json_object_get(p, "url")) || !json_is_array(ifs))
		fail("smoke: bad GetInfo reply: %.*s", (int)n, buf);
	json_array_foreach (ifs, i, v) {
		have_own |= streq(json_string_value(v) ?: "", "io.iommucapd");
		have_service |= streq(json_string_value(v) ?: "", "org.varlink.service");
	}
	if (!have_own || !have_service)
		fail("smoke: GetInfo lists not both interfaces: %.*s", (int)n, buf);
	json_decref(j);
}

static void smoke_check_unit(const char *buf, size_t n, const char *name)
{
	json_t *j = parse_reply(buf, n);
	json_t *u = json_object_get(json_object_get(j, "parameters"), "unit");

	if (!j || json_object_get(j, "error") || !json_is_object(u) ||
	    !streq(json_string_value(json_object_get(u, "name")) ?: "", name) ||
	    !json_is_string(json_object_get(u, "model")) ||
	    !json_is_object(json_object_get(u, "capabilities")) ||
	    !json_is_array(json_object_get(u, "devices")))
		fail("smoke: bad GetUnit(%s) reply: %.*s", name, (int)n, buf);
	json_decref(j);
}

static void smoke_check_error(const char *buf, size_t n, const char *error)
{
	json_t *j = parse_reply(buf, n);

	if (!j || !streq(json_string_value(json_object_get(j, "error")) ?: "", error) ||
	    !json_is_object(json_object_get(j, "parameters")))
		fail("smoke: expected %s, got: %.*s", error, (int)n, buf);
	json_decref(j);
}

static int smoke(struct server *daemon_srv, struct server *echo_srv, struct server *epoll_srv,
		 const char *daemon, const char *tree, unsigned calls)
{
	char *buf = malloc(BUF_SIZE), **names, **gets;
	size_t n_names;
	struct target t[3];
	double tp;
	long rss;
	int fd;

	if (!buf)
		fail("out of memory");
	start_daemon(daemon_srv, daemon, tree);
	start_echo(echo_srv, false);
	start_echo(epoll_srv, true);
	names = list_units(daemon_srv, &n_names);
	gets = calloc(n_names, sizeof(*gets));
	if (!gets)
		fail("out of memory");
	for (size_t i = 0; i < n_names; i++)
		gets[i] = make_get_unit(names[i]);

	/* Round trips on one connection, each reply parsed and checked. */
	fd = vl_connect_unix(daemon_srv->sock);
	if (fd < 0)
		fail("smoke: connect: %s", strerror(-fd));
	for (unsigned i = 0; i < calls; i++) {
		static const char nosuch[] = "{\"method\":\"io.iommucapd.GetUnit\",\"parameters\":{"
					     "\"name\":\"nosuch9\"}}";
		const char *req = i % 3 == 0   ? GETINFO_CALL
				  : i % 3 == 1 ? gets[i % n_names]
					       : nosuch;
		ssize_t n = round_trip(fd, req, strlen(req) + 1, buf, BUF_SIZE);

		if (n < 0)
			fail("smoke: round trip %u: %s", i, strerror((int)-n));
		if (i % 3 == 0)
			smoke_check_getinfo(buf, (size_t)n);
		else if (i % 3 == 1)
			smoke_check_unit(buf, (size_t)n, names[i % n_names]);
		else
			smoke_check_error(buf, (size_t)n, "io.iommucapd.NoSuchUnit");
	}
	close(fd);
	printf("ok: %u round trips to iommu-capd on %s (%zu units), every reply well-formed\n",
	       calls, tree, n_names);

	/* The timed code paths, once each, with no timing checked. */
	target_init(&t[0], "echo", echo_srv, GETINFO_CALL, true);
	target_init(&t[1], "echo-epoll", epoll_srv, GETINFO_CALL, true);
	target_init(&t[2], "GetInfo", daemon_srv, GETINFO_CALL, false);
	for (unsigned i = 0; i < 3; i++) {
		double p50, p99;

		run_latency(&t[i], calls, 10, &p50, &p99);
		tp = run_clients(&t[i], t[i].srv, 4, 0, 100, NULL, 0, NULL);
		printf("ok: %s: %u sequential round trips, then 4 clients x 100 calls\n",
		       t[i].label, calls);
		target_free(&t[i]);
	}
	{
		size_t n_reqs;
		char **reqs = mixed_requests(names, n_names, &n_reqs);

		tp = run_clients(NULL, daemon_srv, 3, 0, 100, reqs, n_reqs, NULL);
		free_strv(reqs, n_reqs);
	}
	(void)tp;
	rss = vm_kib(daemon_srv->pid, "VmRSS");
	if (rss <= 0 || !server_alive(daemon_srv))
		fail("smoke: the daemon's VmRSS cannot be read, or it has gone");
	printf("ok: mixed GetInfo/GetUnit from 3 clients; daemon VmRSS %ld KiB\n", rss);
	server_stop(epoll_srv);
	server_stop(echo_srv);
	server_stop(daemon_srv);
	free_strv(names, n_names);
	free_strv(gets, n_names);
	free(buf);
	return 0;
}

/* ---- main -------------------------------------------------------------------------------- */

static int parse_uint(const char *s, unsigned long max, unsigned long *ret)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

static void usage(FILE *f)
{
	fputs("Usage: bench-varlink --tree DIR [OPTION]...\n"
	      "       bench-varlink --smoke [--tree DIR] [--daemon PATH]\n"
	      "Round-trip latency (p50, p99) and throughput of iommu-capd's GetInfo and GetUnit,\n"
	      "against a raw AF_UNIX echo of the same bytes and systemd 257's sd-varlink server\n"
	      "(systemd-creds) answering GetInfo, measured interleaved in one run; then the\n"
	      "daemon's RSS across a million queries.\n\n"
	      "  --tree DIR          the sysroot the daemon serves (bench-probe --generate 1024 "
	      "DIR)\n"
	      "  --daemon PATH       iommu-capd (default $DAEMON, else daemon/iommu-capd)\n"
	      "  --run-trixie PATH   tests/deps' run-trixie, for systemd 257 (default: none, no\n"
	      "                      systemd baseline)\n"
	      "  --reps N            interleaved runs of everything (default 5)\n"
	      "  --calls N           timed round trips per latency run (default 20000)\n"
	      "  --duration SEC      seconds per throughput run (default 1.5)\n"
	      "  --clients LIST      concurrent clients, comma-separated (default 1,8,32)\n"
	      "  --rss-queries N     queries of the RSS run (default 1000000; 0: no RSS run)\n"
	      "  --rss-step N        RSS read every N queries (default 100000)\n"
	      "  --no-extra          leave out echo-epoll and GetUnit of the first unit\n"
	      "  --compare PATH      also another iommu-capd binary (GetInfo, GetUnit of the last\n"
	      "                      unit), e.g. a patched one; up to 3 times\n"
	      "  --placement LIST    free (not pinned), same (servers and clients on one CPU),\n"
	      "                      split (servers on the last CPU, clients on CPU 0);\n"
	      "                      default free,same\n"
	      "  --smoke             start the daemon on " SMOKE_TREE " (under $srcdir),\n"
	      "                      check 1000 round trips' replies, run each timed path once;\n"
	      "                      no timing is checked\n"
	      "  --drive SOCKET      only make calls to SOCKET (for perf or callgrind on a "
	      "server):\n"
	      "  --unit NAME         GetUnit NAME instead of GetInfo (with --drive)\n"
	      "  --total N           with --drive: N calls in all, spread over --clients\n",
	      f);
}

enum {
	OPT_TREE = 0x100,
	OPT_DAEMON,
	OPT_RUN_TRIXIE,
	OPT_REPS,
	OPT_CALLS,
	OPT_DURATION,
	OPT_CLIENTS,
	OPT_RSS_QUERIES,
	OPT_RSS_STEP,
	OPT_NO_EXTRA,
	OPT_COMPARE,
	OPT_SMOKE,
	OPT_DRIVE,
	OPT_UNIT,
	OPT_TOTAL,
	OPT_PLACEMENT,
};

/* --drive: load an already running server (e.g. one under perf record or valgrind). */
static int drive(const char *sock, const char *unit, unsigned n, unsigned long total,
		 double seconds)
{
	struct server s = { .name = "server", .sock = sock, .keeper = -1 };
	struct target t;
	char *req = unit ? make_get_unit(unit) : strdup(GETINFO_CALL);
	uint64_t t0 = now_ns();
	double tp;

	s.keeper = vl_connect_unix(sock);
	if (s.keeper < 0 || !req)
		fail("cannot connect to %s", sock);
	target_init(&t, unit ? "GetUnit" : "GetInfo", &s, req, false);
	tp = run_clients(&t, &s, n, seconds, total ? (total + n - 1) / n : 0, NULL, 0, NULL);
	printf("%s: %u clients, %.0f calls/s, %.2f s\n", t.label, n, tp,
	       (double)(now_ns() - t0) / 1e9);
	target_free(&t);
	free(req);
	close(s.keeper);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "tree", required_argument, NULL, OPT_TREE },
		{ "daemon", required_argument, NULL, OPT_DAEMON },
		{ "run-trixie", required_argument, NULL, OPT_RUN_TRIXIE },
		{ "reps", required_argument, NULL, OPT_REPS },
		{ "calls", required_argument, NULL, OPT_CALLS },
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "clients", required_argument, NULL, OPT_CLIENTS },
		{ "rss-queries", required_argument, NULL, OPT_RSS_QUERIES },
		{ "rss-step", required_argument, NULL, OPT_RSS_STEP },
		{ "no-extra", no_argument, NULL, OPT_NO_EXTRA },
		{ "compare", required_argument, NULL, OPT_COMPARE },
		{ "smoke", no_argument, NULL, OPT_SMOKE },
		{ "drive", required_argument, NULL, OPT_DRIVE },
		{ "unit", required_argument, NULL, OPT_UNIT },
		{ "total", required_argument, NULL, OPT_TOTAL },
		{ "placement", required_argument, NULL, OPT_PLACEMENT },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *tree = NULL, *daemon = getenv("DAEMON"), *run_trixie = NULL, *srcdir;
	const char *drive_sock = NULL, *drive_unit = NULL, *tmp = getenv("TMPDIR");
	unsigned long reps = 5, calls = 0, rss_queries = 1000000, rss_step = 100000, v;
	unsigned long total = 0;
	unsigned counts[MAX_COUNTS] = { 1, 8, 32 }, n_counts = 3;
	double duration = 1.5;
	enum placement places[_PLACE_MAX] = { PLACE_FREE, PLACE_SAME };
	unsigned n_places = 2;
	int epoll_i = -1;
	bool extra = true;
#ifdef BENCH_SMOKE
	bool smoke_mode = true;
#else
	bool smoke_mode = false;
#endif
	struct server srv[6 + MAX_COMPARE];
	struct target ts[6 + 2 * MAX_COMPARE];
	const char *compare[MAX_COMPARE];
	char compare_labels[2 * MAX_COMPARE][300];
	unsigned n_compare = 0;
	unsigned n_t = 0;
	struct rss_series rss = { .label = "iommu-capd (1024-unit tree)" };
	struct rss_series rss_sd = { .label = "systemd 257 (systemd-creds, GetInfo only)" };
	const struct target *getinfo = NULL, *sd_target = NULL;
	char sd_unit_first[256] = "", sd_unit_last[256] = "";
	char label_first[300], label_last[300];
	pid_t sd_pid = 0;
	int c, k;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) >= 0) {
		k = 0;
		switch (c) {
		case OPT_TREE:
			tree = optarg;
			break;
		case OPT_DAEMON:
			daemon = optarg;
			break;
		case OPT_RUN_TRIXIE:
			run_trixie = optarg;
			break;
		case OPT_REPS:
			k = parse_uint(optarg, MAX_REPS, &reps);
			k = k < 0 || reps == 0 ? -EINVAL : 0;
			break;
		case OPT_CALLS:
			k = parse_uint(optarg, 100000000, &calls);
			k = k < 0 || calls == 0 ? -EINVAL : 0;
			break;
		case OPT_DURATION: {
			char *end;

			duration = strtod(optarg, &end);
			k = *end || end == optarg || !(duration > 0 && duration < 3600) ? -EINVAL
											: 0;
			break;
		}
		case OPT_CLIENTS: {
			char *save = NULL;

			n_counts = 0;
			for (char *tok = strtok_r(optarg, ",", &save); tok && k == 0;
			     tok = strtok_r(NULL, ",", &save)) {
				k = n_counts == MAX_COUNTS ? -EINVAL
							   : parse_uint(tok, MAX_CLIENTS, &v);
				if (k == 0 && v == 0)
					k = -EINVAL;
				if (k == 0)
					counts[n_counts++] = (unsigned)v;
			}
			if (n_counts == 0)
				k = -EINVAL;
			break;
		}
		case OPT_RSS_QUERIES:
			k = parse_uint(optarg, 1000000000, &rss_queries);
			break;
		case OPT_RSS_STEP:
			k = parse_uint(optarg, 1000000000, &rss_step);
			k = k < 0 || rss_step == 0 ? -EINVAL : 0;
			break;
		case OPT_COMPARE:
			if (n_compare == MAX_COMPARE)
				k = -EINVAL;
			else
				compare[n_compare++] = optarg;
			break;
		case OPT_NO_EXTRA:
			extra = false;
			break;
		case OPT_SMOKE:
			smoke_mode = true;
			break;
		case OPT_DRIVE:
			drive_sock = optarg;
			break;
		case OPT_UNIT:
			drive_unit = optarg;
			break;
		case OPT_TOTAL:
			k = parse_uint(optarg, 1000000000, &total);
			break;
		case OPT_PLACEMENT: {
			char *save = NULL;

			n_places = 0;
			for (char *tok = strtok_r(optarg, ",", &save); tok && k == 0;
			     tok = strtok_r(NULL, ",", &save)) {
				unsigned p;

				for (p = 0; p < _PLACE_MAX && !streq(tok, placement_names[p]); p++)
					;
				if (p == _PLACE_MAX || n_places == _PLACE_MAX)
					k = -EINVAL;
				else
					places[n_places++] = (enum placement)p;
			}
			if (n_places == 0)
				k = -EINVAL;
			break;
		}
		default: /* 'h' asks for the usage; anything else is a usage error */
			usage(c == 'h' ? stdout : stderr);
			return c == 'h' ? 0 : 2;
		}
		if (k < 0) {
			fprintf(stderr, "bench-varlink: bad value for %s\n", argv[optind - 1]);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (drive_sock)
		return drive(drive_sock, drive_unit, counts[0], total, duration);

	if (!daemon || !*daemon)
		daemon = "daemon/iommu-capd";
	if (smoke_mode && !tree) {
		static char path[PATH_MAX];

		srcdir = getenv("srcdir");
		snprintf(path, sizeof(path), "%s/%s", srcdir && *srcdir ? srcdir : ".", SMOKE_TREE);
		tree = path;
	}
	if (!tree) {
		usage(stderr);
		return 2;
	}
	if (!calls)
		calls = smoke_mode ? 1000 : 20000;
	if (access(daemon, X_OK) < 0)
		fail("%s: %m (build it, or give --daemon)", daemon);
	if (run_trixie && access(run_trixie, X_OK) < 0)
		fail("%s: %m", run_trixie);

	snprintf(run.dir, sizeof(run.dir), "%s/bench-varlink.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(run.dir)) {
		run.dir[0] = 0;
		fail("mkdtemp: %m");
	}
	atexit(cleanup);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);

	srv[0] = (struct server){ "echo", run_file("echo.sock"), run_file("echo.log") };
	srv[1] = (struct server){ "echo-epoll", run_file("epoll.sock"), run_file("epoll.log") };
	srv[2] = (struct server){ "iommu-capd", run_file("daemon.sock"), run_file("daemon.log") };
	srv[3] = (struct server){ "systemd-creds", run_file("creds.sock"), run_file("creds.log") };
	srv[4] = (struct server){ "iommu-capd (RSS)", run_file("daemon2.sock"),
				  run_file("daemon2.log") };
	srv[5] = (struct server){ "systemd-creds (RSS)", run_file("creds2.sock"),
				  run_file("creds2.log") };
	for (unsigned i = 0; i < n_compare; i++) {
		char name[32];

		snprintf(name, sizeof(name), "compare%u.sock", i);
		srv[6 + i] = (struct server){ compare[i], run_file(name), NULL };
		snprintf(name, sizeof(name), "compare%u.log", i);
		srv[6 + i].log = run_file(name);
	}
	for (unsigned i = 0; i < ELEMENTSOF(srv); i++)
		srv[i].keeper = -1;

	if (smoke_mode)
		return smoke(&srv[2], &srv[0], &srv[1], daemon, tree, (unsigned)calls);

	if (sched_getaffinity(0, sizeof(all_cpus), &all_cpus) < 0)
		fail("sched_getaffinity: %m");
	for (unsigned i = 0; i < n_places; i++)
		if (places[i] == PLACE_SPLIT && CPU_COUNT(&all_cpus) < 2)
			fail("--placement split needs two CPUs");
	fprintf(stderr, "starting the servers (the daemon probes %s)\n", tree);
	start_echo(&srv[0], false);
	if (extra)
		start_echo(&srv[1], true);
	start_daemon(&srv[2], daemon, tree);
	if (run_trixie) {
		start_systemd(&srv[3], run_trixie);
		sd_pid = srv[3].pid;
	}
	for (unsigned i = 0; i < n_compare; i++) {
		if (access(compare[i], X_OK) < 0)
			fail("%s: %m", compare[i]);
		start_daemon(&srv[6 + i], compare[i], tree);
	}

	{
		size_t n_names;
		char **names = list_units(&srv[2], &n_names);

		snprintf(sd_unit_first, sizeof(sd_unit_first), "%s", names[0]);
		snprintf(sd_unit_last, sizeof(sd_unit_last), "%s", names[n_names - 1]);
		fprintf(stderr, "the daemon serves %zu units, %s to %s\n", n_names, names[0],
			names[n_names - 1]);
		free_strv(names, n_names);
	}
	snprintf(label_first, sizeof(label_first), "iommu-capd GetUnit %s", sd_unit_first);
	snprintf(label_last, sizeof(label_last), "iommu-capd GetUnit %s", sd_unit_last);

	target_init(&ts[n_t++], "echo (thread/conn)", &srv[0], GETINFO_CALL, true);
	if (extra) {
		epoll_i = (int)n_t;
		target_init(&ts[n_t++], "echo (epoll, 1 thread)", &srv[1], GETINFO_CALL, true);
	}
	getinfo = &ts[n_t];
	target_init(&ts[n_t++], "iommu-capd GetInfo", &srv[2], GETINFO_CALL, false);
	if (extra) {
		char *r = make_get_unit(sd_unit_first);

		target_init(&ts[n_t++], label_first, &srv[2], r, false);
		free(r);
	}
	{
		char *r = make_get_unit(sd_unit_last);

		target_init(&ts[n_t++], label_last, &srv[2], r, false);
		free(r);
	}
	for (unsigned i = 0; i < n_compare; i++) {
		const char *base =
			strrchr(compare[i], '/') ? strrchr(compare[i], '/') + 1 : compare[i];
		char *r = make_get_unit(sd_unit_last);

		snprintf(compare_labels[2 * i], 300, "%.20s GetInfo", base);
		snprintf(compare_labels[2 * i + 1], 300, "%.20s GetUnit %s", base, sd_unit_last);
		target_init(&ts[n_t++], compare_labels[2 * i], &srv[6 + i], GETINFO_CALL, false);
		target_init(&ts[n_t++], compare_labels[2 * i + 1], &srv[6 + i], r, false);
		free(r);
	}
	if (run_trixie) {
		sd_target = &ts[n_t];
		target_init(&ts[n_t++], "systemd 257 GetInfo", &srv[3], GETINFO_CALL, false);
	}

	/*
	 * Everything interleaved: each run measures every target once per phase, in every
	 * placement; the placement and the target that go first rotate from run to run, so that
	 * noise falls on all of them alike.
	 */
	for (unsigned r = 0; r < reps; r++) {
		fprintf(stderr, "run %u/%lu:", r + 1, reps);
		for (unsigned pi = 0; pi < n_places; pi++) {
			enum placement pl = places[(pi + r) % n_places];
			cpu_set_t set;

			cpus_of(pl, true, &set);
			for (unsigned i = 0; i < ELEMENTSOF(srv); i++)
				if (srv[i].pid > 0)
					set_affinity(srv[i].pid, &set);
			cpus_of(pl, false, &set);
			set_affinity(0, &set);
			fprintf(stderr, " [%s] latency", placement_names[pl]);
			for (unsigned i = 0; i < n_t; i++) {
				struct target *t = &ts[(i + r) % n_t];

				run_latency(t, (unsigned)calls, 1000, &t->p50[pl][r],
					    &t->p99[pl][r]);
			}
			for (unsigned cc = 0; cc < n_counts; cc++) {
				for (unsigned i = 0; i < n_t; i++) {
					struct target *t = &ts[(i + r) % n_t];

					t->tput[pl][cc][r] =
						run_clients(t, t->srv, counts[cc], duration, 0,
							    NULL, 0, &t->cpu_us[pl][cc][r]);
				}
				fprintf(stderr, ", %u", counts[cc]);
			}
		}
		fprintf(stderr, "\n");
	}
	{
		/* Back to no pinning, for the RSS run and the servers it starts. */
		for (unsigned i = 0; i < ELEMENTSOF(srv); i++)
			if (srv[i].pid > 0)
				set_affinity(srv[i].pid, &all_cpus);
		set_affinity(0, &all_cpus);
	}
	if (run_trixie && !server_alive(&srv[3]))
		fail("systemd-creds (pid %d) did not serve the whole run", (int)srv[3].pid);
	if (!server_alive(&srv[2]))
		fail("iommu-capd (pid %d) has gone", (int)srv[2].pid);

	if (rss_queries) {
		size_t n_names, n_reqs;
		char **names = list_units(&srv[2], &n_names);
		char **reqs = mixed_requests(names, n_names, &n_reqs);
		char *sd_req[] = { (char *)GETINFO_CALL };

		/* A fresh daemon: idle means nothing asked yet but the connection that waited. */
		server_stop(&srv[0]);
		server_stop(&srv[1]);
		server_stop(&srv[2]);
		for (unsigned i = 0; i < n_compare; i++)
			server_stop(&srv[6 + i]);
		fprintf(stderr,
			"RSS run: %lu queries, GetInfo and GetUnit of each unit in turn, 8 "
			"clients\n",
			rss_queries);
		start_daemon(&srv[4], daemon, tree);
		run_rss(&rss, &srv[4], reqs, n_reqs, rss_queries, rss_step, 8);
		server_stop(&srv[4]);
		if (run_trixie) {
			server_stop(&srv[3]);
			start_systemd(&srv[5], run_trixie);
			run_rss(&rss_sd, &srv[5], sd_req, 1, rss_queries, rss_step, 8);
			server_stop(&srv[5]);
		}
		free_strv(reqs, n_reqs);
		free_strv(names, n_names);
	}

	print_header(sd_pid, (unsigned)reps, (unsigned)calls, duration);
	for (unsigned pi = 0; pi < n_places; pi++)
		print_tables(ts, n_t, epoll_i, places[pi], counts, n_counts, (unsigned)reps);
	if (rss_queries) {
		printf("\nRSS (VmRSS of a freshly started server; 8 clients, new connections every "
		       "%lu queries)\n",
		       rss_step);
		print_rss(&rss);
		if (run_trixie)
			print_rss(&rss_sd);
	}
	printf("\ntargets\n");
	for (unsigned pi = 0; pi < n_places; pi++)
		print_targets(&ts[0], getinfo, sd_target, places[pi], counts, n_counts,
			      (unsigned)reps);
	if (rss_queries)
		print_rss_target(&rss);
	for (unsigned i = 0; i < n_t; i++)
		target_free(&ts[i]);
	for (unsigned i = 0; i < ELEMENTSOF(srv); i++)
		if (srv[i].keeper >= 0)
			close(srv[i].keeper);
	return 0;
}
