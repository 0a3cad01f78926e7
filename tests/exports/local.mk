# Exports: node_exporter textfile metrics, the Ansible fact.
