# daemon/: see HACKING.md
