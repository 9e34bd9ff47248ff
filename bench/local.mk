# bench/: benchmarks printing ratios against stock lvm2 and mdadm (not part of make check).
