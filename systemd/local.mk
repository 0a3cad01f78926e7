# systemd units for iommu-capd.
