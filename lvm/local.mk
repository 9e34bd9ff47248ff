# lvm/: see HACKING.md
