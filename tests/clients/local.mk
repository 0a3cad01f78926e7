# Third-party varlink clients (python3-varlink, varlinkctl, varlink-go certification) and hotplug.
