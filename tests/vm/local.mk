# Real kernels under QEMU (TCG): make check-vm (tests/vm/README.md). Not part of "make check":
# it installs qemu-system-x86, qemu-system-arm, qemu-efi-aarch64, busybox-static and cpio when
# missing (as root), downloads Debian kernels into the tests/deps/fetch cache, builds the iommufd
# kernels once (tests/deps/fetch iommufd, about 11 minutes per architecture on 2 cores) and boots
# 14 guests.

EXTRA_DIST += tests/vm/check-vm.py tests/vm/configs.ini tests/vm/init tests/vm/README.md tests/vm/qemu-judge \
	tests/vm/kernel/build tests/vm/kernel/iommufd.config

check-vm: all
	srcdir='$(abs_top_srcdir)' builddir='$(abs_top_builddir)' \
	IOMMUCTL='$(abs_top_builddir)/cli/iommuctl' DAEMON='$(abs_top_builddir)/daemon/iommu-capd' \
	$(PYTHON3) '$(abs_top_srcdir)/tests/vm/check-vm.py' $(CHECK_VM_FLAGS)
.PHONY: check-vm
