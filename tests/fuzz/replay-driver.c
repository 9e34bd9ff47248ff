/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Stand-in for libFuzzer's main() in builds without clang's fuzzer runtime:
 * feeds every file named on the command line (directories are walked one
 * level deep) to LLVMFuzzerTestOneInput once. Under the sanitizer build this
 * replays the seed corpus with full checking.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data = NULL;
	size_t size = 0, cap = 0;

	if (!f) {
		perror(path);
		return -1;
	}
	for (;;) {
		if (size == cap) {
			uint8_t *bigger;

			cap = cap ? cap * 2 : 65536;
			bigger = realloc(data, cap);
			if (!bigger) {
				free(data);
				fclose(f);
				return -1;
			}
			data = bigger;
		}
		size_t n = fread(data + size, 1, cap - size, f);
		if (n == 0)
			break;
		size += n;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(data, size);
	free(data);
	return 0;
}

int main(int argc, char **argv)
{
	int files = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (argv[i][0] == '-')
			continue; /* libFuzzer options, meaningless here */
		if (stat(argv[i], &st) < 0) {
			perror(argv[i]);
			return 1;
		}
		if (S_ISDIR(st.st_mode)) {
			DIR *dir = opendir(argv[i]);
			struct dirent *de;

			if (!dir) {
				perror(argv[i]);
				return 1;
			}
			while ((de = readdir(dir))) {
				char path[4096];

				if (de->d_name[0] == '.')
					continue;
				snprintf(path, sizeof(path), "%s/%s", argv[i], de->d_name);
				if (replay_file(path) < 0) {
					closedir(dir);
					return 1;
				}
				files++;
			}
			closedir(dir);
		} else {
			if (replay_file(argv[i]) < 0)
				return 1;
			files++;
		}
	}
	printf("replayed %d inputs\n", files);
	return files > 0 ? 0 : 1;
}
