# Real kernels under QEMU (TCG): make check-vm.
