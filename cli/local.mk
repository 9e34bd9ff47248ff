# cli/: see HACKING.md
