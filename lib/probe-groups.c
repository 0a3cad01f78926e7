/* IOMMU groups: sys/kernel/iommu_groups, each group's type, reserved regions and members. */
#include "config.h"

#include "model.h"
#include "parse.h"
#include "probe.h"
#include "sysfs.h"

static int parse_resv(struct iommucap_group *g, char *text)
{
	char *save = NULL;

	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct iommucap_resv_region *nr;
		uint64_t start, end;
		char *type;
		int k = parse_resv_region(line, &start, &end, &type);

		if (k == -ENOMEM)
			return k;
		if (k < 0) {
			_cleanup_free_ char *ex = value_excerpt(line);

			if (asprintf(&g->resv_reason, "reserved_regions has a malformed line: %s",
				     ex ? ex : "?") < 0)
				return -ENOMEM;
			return -EINVAL;
		}
		nr = realloc(g->resv, (g->n_resv + 1) * sizeof(*nr));
		if (!nr) {
			free(type);
			return -ENOMEM;
		}
		g->resv = nr;
		g->resv[g->n_resv++] = (struct iommucap_resv_region){ start, end, type };
	}
	return 0;
}

int probe_group(struct iommucap_root *r, struct iommucap_host *h, struct iommucap_group *g,
		const char *dir)
{
	_cleanup_free_ char *resv = NULL, *resv_path = path_join(dir, "reserved_regions");
	_cleanup_free_ char *devdir = path_join(dir, "devices");
	char *reason = NULL;
	size_t len = 0;
	int k;

	if (!devdir || !resv_path)
		return -ENOMEM;
	k = attr_read(r, dir, "type", &g->type, &reason);
	if (k == -ENOMEM)
		return k;
	if (k < 0) {
		g->type = NULL;
		g->type_reason = reason;
		if (host_warn(h, "group %d: %s", g->id, reason ? reason : "type unreadable") < 0)
			return -ENOMEM;
	}

	k = sysfs_read(r, resv_path, 64 * 1024, &resv, &len);
	if (k == -ENOMEM)
		return k;
	if (k >= 0 && memchr(resv, 0, len))
		k = -EBADMSG;
	if (k >= 0)
		k = parse_resv(g, resv);
	else if (asprintf(&g->resv_reason, "cannot read reserved_regions: %s", strerror(-k)) < 0)
		return -ENOMEM;
	if (k == -ENOMEM)
		return k;
	if (k < 0 && host_warn(h, "group %d: %s", g->id, g->resv_reason) < 0)
		return -ENOMEM;

	k = sysfs_list(r, devdir, &g->devices, &g->n_devices);
	strv_sort(g->devices, g->n_devices);
	if (k == -ENOMEM)
		return k;
	if (k < 0 && host_warn(h, "group %d: cannot list devices: %s", g->id, strerror(-k)) < 0)
		return -ENOMEM;
	return 0;
}

int probe_groups(struct iommucap_root *r, struct iommucap_host *h)
{
	char **names = NULL;
	size_t n = 0;
	int k = sysfs_list(r, "sys/kernel/iommu_groups", &names, &n);

	if (k == -ENOENT)
		return 0;
	if (k < 0)
		return k == -ENOMEM ? k
				    : host_warn(h, "cannot list sys/kernel/iommu_groups: %s",
						strerror(-k));
	h->groups = calloc(n ? n : 1, sizeof(*h->groups));
	if (!h->groups) {
		strv_free(names, n);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *dir = path_join("sys/kernel/iommu_groups", names[i]);
		struct iommucap_group *g;
		uint64_t id;

		if (!dir) {
			k = -ENOMEM;
			break;
		}
		if (parse_dec_u64(names[i], &id) < 0 || id > INT32_MAX) {
			k = host_warn(h,
				      "sys/kernel/iommu_groups/%s is not a group number; ignored",
				      names[i]);
			if (k < 0)
				break;
			continue;
		}
		g = &h->groups[h->n_groups++];
		g->id = (int)id;
		k = probe_group(r, h, g, dir);
		if (k < 0)
			break;
	}
	strv_free(names, n);
	return k < 0 ? k : 0;
}
