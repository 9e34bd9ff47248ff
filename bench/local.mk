# bench/: see HACKING.md
