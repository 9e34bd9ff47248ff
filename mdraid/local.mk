# mdraid/: see HACKING.md
