/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading vgtoold's configuration file (see daemon-config.h). */
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cfg.h"
#include "daemon-config.h"

struct daemon_config *daemon_config_free(struct daemon_config *config)
{
	if (!config)
		return NULL;
	free(config->socket_path);
	free(config->state_dir);
	for (size_t i = 0; i < config->n_scan_dirs; i++)
		free(config->scan_dirs[i]);
	free(config->scan_dirs);
	for (size_t i = 0; i < config->n_filter; i++)
		free(config->filter[i]);
	free(config->filter);
	free(config);
	return NULL;
}

static int string_list(const char *path, const struct cfg_node *node, char ***ret, size_t *ret_n, struct vg_error *err)
{
	char **list;

	if (node->is_section || node->value.type != CFG_LIST)
		return vg_error_set(err, -EINVAL, "%s: line %u: %s must be a list of strings", path, node->line, node->key);
	list = calloc(node->value.n_items + 1, sizeof(*list));
	if (!list)
		return vg_error_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < node->value.n_items; i++) {
		if (node->value.items[i].type != CFG_STRING) {
			for (size_t k = 0; k < i; k++)
				free(list[k]);
			free(list);
			return vg_error_set(err, -EINVAL, "%s: line %u: %s entry %zu must be a string", path, node->line,
					    node->key, i + 1);
		}
		list[i] = strdup(node->value.items[i].text);
		if (!list[i]) {
			for (size_t k = 0; k < i; k++)
				free(list[k]);
			free(list);
			return vg_error_set(err, -ENOMEM, "out of memory");
		}
	}
	*ret = list;
	*ret_n = node->value.n_items;
	return 0;
}

static int string_value(const char *path, const struct cfg_node *node, const char **ret, struct vg_error *err)
{
	if (node->is_section || node->value.type != CFG_STRING)
		return vg_error_set(err, -EINVAL, "%s: line %u: %s must be a quoted string", path, node->line, node->key);
	*ret = node->value.text;
	return 0;
}

static int group_value(const char *path, const struct cfg_node *node, gid_t *ret, struct vg_error *err)
{
	const char *name = NULL;
	struct group *gr;
	int r;

	r = string_value(path, node, &name, err);
	if (r < 0)
		return r;
	errno = 0;
	gr = getgrnam(name);
	if (!gr)
		return vg_error_set(err, -EINVAL, "%s: line %u: %s: there is no group called \"%s\"", path, node->line,
				    node->key, name);
	*ret = gr->gr_gid;
	return 0;
}

static int parse_daemon_section(const char *path, const struct cfg_node *section, struct daemon_config *config,
				struct vg_error *err)
{
	for (const struct cfg_node *n = section->children; n; n = n->next) {
		const char *value = NULL;
		int r = 0;

		if (streq(n->key, "socket") || streq(n->key, "state_dir")) {
			r = string_value(path, n, &value, err);
			if (r < 0)
				return r;
			if (value[0] != '/')
				return vg_error_set(err, -EINVAL, "%s: line %u: %s must be an absolute path", path, n->line,
						    n->key);
			char **field = streq(n->key, "socket") ? &config->socket_path : &config->state_dir;
			free(*field);
			*field = strdup(value);
			if (!*field)
				return vg_error_set(err, -ENOMEM, "out of memory");
		} else if (streq(n->key, "socket_mode")) {
			char *end;
			unsigned long mode;

			r = string_value(path, n, &value, err);
			if (r < 0)
				return r;
			mode = strtoul(value, &end, 8);
			if (*value == '\0' || *end != '\0' || mode > 0777)
				return vg_error_set(err, -EINVAL, "%s: line %u: socket_mode \"%s\" is not an octal mode like \"0660\"",
						    path, n->line, value);
			config->socket_mode = (mode_t)mode;
		} else if (streq(n->key, "activation")) {
			r = string_value(path, n, &value, err);
			if (r < 0)
				return r;
			if (streq(value, "none"))
				config->activation = ACTIVATION_NONE;
			else if (streq(value, "kernel"))
				config->activation = ACTIVATION_KERNEL;
			else
				return vg_error_set(err, -EINVAL, "%s: line %u: activation must be \"none\" or \"kernel\", not \"%s\"",
						    path, n->line, value);
		} else if (streq(n->key, "client_timeout")) {
			if (n->is_section || n->value.type != CFG_INT || n->value.integer < 1 || n->value.integer > 3600)
				return vg_error_set(err, -EINVAL, "%s: line %u: client_timeout must be a number of seconds from 1 to 3600",
						    path, n->line);
			config->client_timeout_seconds = (unsigned)n->value.integer;
		} else if (streq(n->key, "copy_rate")) {
			if (n->is_section || n->value.type != CFG_INT || n->value.integer < 0)
				return vg_error_set(err, -EINVAL, "%s: line %u: copy_rate must be a number of bytes per second (0: no limit)",
						    path, n->line);
			config->copy_rate_bytes = (uint64_t)n->value.integer;
		} else if (streq(n->key, "write_group")) {
			r = group_value(path, n, &config->write_group, err);
			config->has_write_group = r == 0;
		} else if (streq(n->key, "read_group")) {
			r = group_value(path, n, &config->read_group, err);
			config->has_read_group = r == 0;
		} else {
			return vg_error_set(err, -EINVAL, "%s: line %u: unknown setting daemon/%s", path, n->line, n->key);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

static int parse_devices_section(const char *path, const struct cfg_node *section, struct daemon_config *config,
				 struct vg_error *err)
{
	for (const struct cfg_node *n = section->children; n; n = n->next) {
		int r;

		if (streq(n->key, "scan"))
			r = string_list(path, n, &config->scan_dirs, &config->n_scan_dirs, err);
		else if (streq(n->key, "filter"))
			r = string_list(path, n, &config->filter, &config->n_filter, err);
		else
			return vg_error_set(err, -EINVAL, "%s: line %u: unknown setting devices/%s", path, n->line, n->key);
		if (r < 0)
			return r;
	}
	return 0;
}

int daemon_config_parse(const char *path, const char *text, size_t len, struct daemon_config **ret_config,
			struct vg_error *err)
{
	_cleanup_(daemon_config_freep) struct daemon_config *config = NULL;
	_cleanup_(cfg_tree_freep) struct cfg_tree *tree = NULL;
	int r;

	r = cfg_parse(text, len, &tree, err);
	if (r < 0)
		return vg_error_prefix(err, -EINVAL, "%s: ", path);
	config = calloc(1, sizeof(*config));
	if (!config)
		return vg_error_set(err, -ENOMEM, "out of memory");
	config->socket_mode = 0660;
	config->client_timeout_seconds = 30;
	config->activation = ACTIVATION_NONE;
	for (const struct cfg_node *n = tree->root.children; n; n = n->next) {
		if (!n->is_section)
			return vg_error_set(err, -EINVAL, "%s: line %u: %s must be inside a daemon { } or devices { } section",
					    path, n->line, n->key);
		if (streq(n->key, "daemon"))
			r = parse_daemon_section(path, n, config, err);
		else if (streq(n->key, "devices"))
			r = parse_devices_section(path, n, config, err);
		else
			return vg_error_set(err, -EINVAL, "%s: line %u: unknown section %s", path, n->line, n->key);
		if (r < 0)
			return r;
	}
	if (!config->socket_path && !(config->socket_path = strdup(DAEMON_DEFAULT_SOCKET)))
		return vg_error_set(err, -ENOMEM, "out of memory");
	if (!config->state_dir && !(config->state_dir = strdup(DAEMON_DEFAULT_STATE_DIR)))
		return vg_error_set(err, -ENOMEM, "out of memory");
	if (config->n_filter == 0)
		return vg_error_set(err, -EINVAL,
				    "%s: devices/filter is required: say which devices vgtoold may manage, e.g. "
				    "filter = [ \"a|^/dev/sd[a-d][0-9]*$|\", \"r|.*|\" ]",
				    path);
	*ret_config = TAKE_PTR(config);
	return 0;
}

int daemon_config_load(const char *path, struct daemon_config **ret_config, struct vg_error *err)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_close_ int fd = -1;
	struct stat st;
	size_t done = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return vg_error_set(err, -errno, "cannot open the configuration %s: %m", path);
	if (fstat(fd, &st) < 0)
		return vg_error_set(err, -errno, "%s: %m", path);
	if (st.st_size > 1 << 20)
		return vg_error_set(err, -EFBIG, "%s: a configuration over 1 MiB is not plausible", path);
	text = malloc((size_t)st.st_size + 1);
	if (!text)
		return vg_error_set(err, -ENOMEM, "out of memory");
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, text + done, (size_t)st.st_size - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return vg_error_set(err, n < 0 ? -errno : -EIO, "cannot read %s: %m", path);
		done += (size_t)n;
	}
	text[done] = '\0';
	return daemon_config_parse(path, text, done, ret_config, err);
}
