/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vgtool's command line: argv -> the request's params, driven by the verb
 * tables of the noun files (cli.h). The same tables give --help, the synopsis
 * and completion, so what vgtool accepts, what it documents and what the
 * shell offers are one thing.
 *
 * Shape: vgtool [GLOBAL...] NOUN VERB [ARGS and OPTIONS in any order]. Global
 * options (--socket, --json, --units, --no-wait, --timeout) are accepted
 * anywhere before "--", because scripts append --json at the end. Values are
 * checked here as far as vgtool can (sizes with size_spec_parse, integers,
 * choices) so a typo is a usage error (exit 2) that names the word, before
 * anything is sent; the daemon remains the judge of everything else. LV
 * sizes are sent as typed ("+10G", "100%FREE"): the daemon parses them with
 * the same code. Plain sizes of other things (extent, stripe and metadata
 * sizes) are sent as integers of bytes, which docs/api.md allows everywhere.
 */
#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "rpc-client.h"
#include "size.h"

const struct cli_noun *const cli_nouns[] = {
	&cli_noun_mirror, &cli_noun_pv,  &cli_noun_vg,     &cli_noun_lv,   &cli_noun_job,
	&cli_noun_events, &cli_noun_disk, &cli_noun_metadata, &cli_noun_host, &cli_noun_capacity, NULL,
};

static const char *const unit_choices[] = { "h", "b", "s", "k", "m", "g", "t", "p", "e", NULL };

enum global_id { G_SOCKET, G_JSON, G_UNITS, G_NO_WAIT, G_TIMEOUT, G_HELP, G_VERSION };

/* Options of vgtool itself, valid with every verb (only their names matter for parsing here). */
static const struct cli_arg global_opts[] = {
	[G_SOCKET] = { .name = "socket", .type = CLI_STRING, .kind = CLI_KIND_FILE, .metavar = "PATH",
		       .help = "vgtoold's socket (default: $VGTOOL_SOCKET, else " VGTOOL_DEFAULT_SOCKET ")" },
	[G_JSON] = { .name = "json", .type = CLI_FLAG, .help = "print the daemon's reply as JSON (for scripts)" },
	[G_UNITS] = { .name = "units", .type = CLI_CHOICE, .metavar = "UNIT", .choices = unit_choices,
		      .help = "sizes in h (human, the default), b, s (sectors), k, m, g, t, p or e (binary)" },
	[G_NO_WAIT] = { .name = "no-wait", .type = CLI_FLAG,
			.help = "do not follow a job the command starts; print it and return" },
	[G_TIMEOUT] = { .name = "timeout", .type = CLI_INT, .metavar = "SECONDS",
			.help = "wait at most this long for a reply (default 120; 0: no limit)" },
	[G_HELP] = { .name = "help", .type = CLI_FLAG, .help = "show help for the command and exit" },
	[G_VERSION] = { .name = "version", .type = CLI_FLAG, .help = "show vgtool's version and exit" },
	{ 0 },
};

static const struct cli_arg dry_run_opt = {
	.name = "dry-run", .param = "dry_run", .type = CLI_FLAG,
	.help = "show the plan vgtoold would carry out; write nothing",
};
static const struct cli_arg idempotency_opt = {
	.name = "idempotency-key", .param = "idempotency_key", .type = CLI_STRING, .metavar = "KEY",
	.help = "retry-safe: the same KEY with the same arguments returns the first result again",
};

#define MAX_VERB_OPTS 32

const struct cli_noun *cli_find_noun(const char *name)
{
	for (size_t i = 0; cli_nouns[i]; i++)
		if (streq(cli_nouns[i]->name, name))
			return cli_nouns[i];
	return NULL;
}

const struct cli_verb *cli_find_verb(const struct cli_noun *noun, const char *name)
{
	if (!noun)
		return NULL;
	for (const struct cli_verb *v = noun->verbs; v->verb; v++)
		if (streq(v->verb, name))
			return v;
	return NULL;
}

/* The verb's options followed by those its flags imply; returns how many. */
static size_t verb_options(const struct cli_verb *verb, const struct cli_arg **ret, size_t max)
{
	size_t n = 0;

	for (const struct cli_arg *a = verb->opts; a && a->name && n < max; a++)
		ret[n++] = a;
	if ((verb->flags & CLI_VERB_CHANGES) && n < max)
		ret[n++] = &dry_run_opt;
	if ((verb->flags & CLI_VERB_CREATES) && n < max)
		ret[n++] = &idempotency_opt;
	return n;
}

static const struct cli_arg *find_global(const char *name)
{
	for (const struct cli_arg *a = global_opts; a->name; a++)
		if (streq(a->name, name))
			return a;
	return NULL;
}

static bool takes_value(const struct cli_arg *a)
{
	return a->type != CLI_FLAG && a->type != CLI_FLAG_FALSE;
}

void cli_invocation_done(struct cli_invocation *inv)
{
	json_object_put(inv->params);
	json_object_put(inv->local);
	inv->params = NULL;
	inv->local = NULL;
}

const char *cli_socket_path(const struct cli_invocation *inv, const char *env)
{
	if (inv->socket)
		return inv->socket;
	if (env && *env)
		return env;
	return VGTOOL_DEFAULT_SOCKET;
}

/* ---- values ---- */

/* "lv create: " in front of a message, or "" before the verb is known. */
static int usage_error(struct vg_error *err, const struct cli_verb *verb, const char *fmt, ...) _printf_(3, 4);
static int usage_error(struct vg_error *err, const struct cli_verb *verb, const char *fmt, ...)
{
	char text[VG_ERROR_MESSAGE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (verb)
		return vg_error_set(err, -EINVAL, "%s %s: %s", verb->noun, verb->verb, text);
	return vg_error_set(err, -EINVAL, "%s", text);
}

static bool in_choices(const char *const *choices, const char *text)
{
	for (; choices && *choices; choices++)
		if (streq(*choices, text))
			return true;
	return false;
}

static void join_choices(const char *const *choices, const char *sep, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; choices && choices[i] && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? sep : "", choices[i]);
}

/* A decimal integer without sign, at most INT64_MAX. */
static bool parse_int(const char *text, int64_t *ret)
{
	uint64_t v = 0;

	if (!*text)
		return false;
	for (const char *p = text; *p; p++) {
		if (!isdigit((unsigned char)*p))
			return false;
		if (MUL_OVERFLOWS(v, 10, &v) || ADD_OVERFLOWS(v, (uint64_t)(*p - '0'), &v) || v > INT64_MAX)
			return false;
	}
	*ret = (int64_t)v;
	return true;
}

/* "NAME=yes|no" (or true/false, 1/0) -> {NAME: bool}. */
static int make_named_bool(const struct cli_verb *verb, const char *what, const char *text, struct json_object **ret,
			   struct vg_error *err)
{
	static const char *const yes[] = { "yes", "true", "1", NULL }, *const no[] = { "no", "false", "0", NULL };
	const char *eq = strchr(text, '=');
	_cleanup_free_ char *name = NULL;
	bool value;

	if (!eq || eq == text)
		return usage_error(err, verb, "%s: \"%s\" is not NAME=yes or NAME=no", what, text);
	if (in_choices(yes, eq + 1))
		value = true;
	else if (in_choices(no, eq + 1))
		value = false;
	else
		return usage_error(err, verb, "%s: \"%s\": after the = comes yes or no", what, text);
	name = strndup(text, (size_t)(eq - text));
	*ret = json_object_new_object();
	if (!name || !*ret || json_object_object_add(*ret, name, json_object_new_boolean(value)) < 0) {
		json_object_put(*ret);
		*ret = NULL;
		return vg_error_set(err, -ENOMEM, "out of memory");
	}
	return 0;
}

/*
 * Check @text against @a's type and make its JSON value. @what names the
 * word in messages: "--size" for an option, "SIZE" for a positional.
 */
static int make_value(const struct cli_verb *verb, const struct cli_arg *a, const char *what, const char *text,
		      struct json_object **ret, struct vg_error *err)
{
	struct vg_error size_err = { 0 };
	struct size_spec spec;
	char list[256];
	int64_t n;

	switch (a->type) {
	case CLI_FLAG:
		*ret = json_object_new_boolean(1);
		break;
	case CLI_FLAG_FALSE:
		*ret = json_object_new_boolean(0);
		break;
	case CLI_INT:
		if (!parse_int(text, &n))
			return usage_error(err, verb, "%s: \"%s\" is not a whole number", what, text);
		*ret = json_object_new_int64(n);
		break;
	case CLI_CHOICE:
		if (!in_choices(a->choices, text)) {
			join_choices(a->choices, ", ", list, sizeof(list));
			return usage_error(err, verb, "%s: \"%s\" is not one of %s", what, text, list);
		}
		*ret = json_object_new_string(text);
		break;
	case CLI_SIZE:
	case CLI_SIZE_NEW:
	case CLI_SIZE_GROW:
	case CLI_SIZE_SHRINK:
	case CLI_SIZE_ANY:
		/* 'm' as the daemon's parser uses, so a bare "100" means the same on both sides */
		if (size_spec_parse(text, 'm', &spec, &size_err) < 0)
			return usage_error(err, verb, "%s: %s", what, size_err.message);
		if (a->type == CLI_SIZE) {
			if (spec.sign != SIZE_SIGN_NONE || spec.percent_of != SIZE_PERCENT_NONE)
				return usage_error(err, verb,
						   "%s: \"%s\": give an absolute size such as 4M or 20G", what, text);
			if (spec.bytes > INT64_MAX)
				return usage_error(err, verb, "%s: \"%s\" is too large", what, text);
			/*
			 * A plain size goes as its number of bytes, which docs/api.md allows for
			 * every size and which parameters read as integers (metadata_size) need.
			 */
			*ret = json_object_new_int64((int64_t)spec.bytes);
			break;
		}
		if (a->type == CLI_SIZE_NEW && spec.sign != SIZE_SIGN_NONE)
			return usage_error(err, verb,
					   "%s: \"%s\": a new size has no sign; write e.g. 20G or 100%%FREE", what, text);
		if (a->type == CLI_SIZE_GROW && spec.sign == SIZE_SIGN_MINUS)
			return usage_error(err, verb,
					   "%s: \"%s\" would shrink; to shrink use: vgtool %s reduce ... --size %s",
					   what, text, verb->noun, text);
		if (a->type == CLI_SIZE_SHRINK && spec.sign == SIZE_SIGN_PLUS)
			return usage_error(err, verb,
					   "%s: \"%s\" would grow; to grow use: vgtool %s extend ... --size %s",
					   what, text, verb->noun, text);
		*ret = json_object_new_string(text);
		break;
	case CLI_NAMED_BOOL:
		return make_named_bool(verb, what, text, ret, err);
	case CLI_STRING:
	case CLI_LVREF:
	default:
		if (!*text)
			return usage_error(err, verb, "%s is empty", what);
		*ret = json_object_new_string(text);
		break;
	}
	if (!*ret)
		return vg_error_set(err, -ENOMEM, "out of memory");
	return 0;
}

static int add_member(struct json_object *obj, const char *key, struct json_object *value, struct vg_error *err)
{
	if (!value || json_object_object_add(obj, key, value) < 0) {
		json_object_put(value);
		return vg_error_set(err, -ENOMEM, "out of memory");
	}
	return 0;
}

/* "VG/LV", "/dev/VG/LV": split into its two names. */
static int split_lvref(const struct cli_verb *verb, const char *word, struct json_object *params,
		       struct vg_error *err)
{
	_cleanup_free_ char *copy = NULL;
	const char *p = word;
	char *slash;
	int r;

	if (strncmp(p, "/dev/", 5) == 0)
		p += 5;
	copy = strdup(p);
	if (!copy)
		return vg_error_set(err, -ENOMEM, "out of memory");
	slash = strchr(copy, '/');
	if (slash)
		*slash = '\0';
	if (!slash || !copy[0] || !slash[1] || strchr(slash + 1, '/'))
		return usage_error(err, verb, "\"%s\" is not an LV: write VG/LV (vg_raid/lv_files) or VG LV",
				   word);
	r = add_member(params, "vg", json_object_new_string(copy), err);
	if (r < 0)
		return r;
	return add_member(params, "name", json_object_new_string(slash + 1), err);
}

/* Give the positional words to the verb's arguments, in order. */
static int assign_positionals(const struct cli_verb *verb, char **words, size_t n_words,
			      struct json_object *params, struct vg_error *err)
{
	_cleanup_(strbuf_done) struct strbuf synopsis;
	size_t wi = 0;
	int r;

	strbuf_init(&synopsis);
	cli_synopsis(verb, &synopsis);
	for (const struct cli_arg *a = verb->args; a && a->name; a++) {
		struct json_object *value = NULL;

		if (a->type == CLI_LVREF) {
			if (wi >= n_words) {
				if (a->flags & CLI_ARG_OPTIONAL)
					continue;
				return usage_error(err, verb, "missing %s (usage: %s)", a->name, synopsis.data);
			}
			if (strchr(words[wi], '/')) {
				r = split_lvref(verb, words[wi++], params, err);
			} else {
				/* two words: VG LV */
				if (wi + 1 >= n_words)
					return usage_error(err, verb,
							   "missing the LV's name: write VG/LV or VG LV (usage: %s)",
							   synopsis.data);
				r = make_value(verb, a, "VG", words[wi], &value, err);
				if (r >= 0)
					r = add_member(params, "vg", value, err);
				if (r >= 0)
					r = make_value(verb, a, "LV", words[wi + 1], &value, err);
				if (r >= 0)
					r = add_member(params, "name", value, err);
				wi += 2;
			}
			if (r < 0)
				return r;
			continue;
		}
		if (a->flags & CLI_ARG_LIST) {
			unsigned min = a->min ? a->min : 1;
			struct json_object *array;

			if (wi == n_words && (a->flags & CLI_ARG_OPTIONAL))
				continue;
			if (n_words - wi < min) {
				if (min == 1)
					return usage_error(err, verb, "missing %s (usage: %s)", a->name,
							   synopsis.data);
				return usage_error(err, verb, "give at least %u %ss, not %zu (usage: %s)", min,
						   a->name, n_words - wi, synopsis.data);
			}
			array = json_object_new_array();
			r = add_member(params, a->param, array, err);
			if (r < 0)
				return r;
			for (; wi < n_words; wi++) {
				r = make_value(verb, a, a->name, words[wi], &value, err);
				if (r < 0)
					return r;
				if (json_object_array_add(array, value) < 0) {
					json_object_put(value);
					return vg_error_set(err, -ENOMEM, "out of memory");
				}
			}
			continue;
		}
		if (wi >= n_words) {
			if (!(a->flags & CLI_ARG_OPTIONAL))
				return usage_error(err, verb, "missing %s (usage: %s)", a->name, synopsis.data);
			if (!a->def)
				continue;
			r = make_value(verb, a, a->name, a->def, &value, err);
		} else {
			r = make_value(verb, a, a->name, words[wi++], &value, err);
		}
		if (r < 0)
			return r;
		r = add_member(params, a->param, value, err);
		if (r < 0)
			return r;
	}
	if (wi < n_words)
		return usage_error(err, verb, "unexpected argument \"%s\" (usage: %s)", words[wi], synopsis.data);
	return 0;
}

/* ---- the command line ---- */

struct parse {
	struct cli_invocation inv;
	const struct cli_verb *verb;
	const struct cli_arg *opts[MAX_VERB_OPTS];
	struct json_object *values[MAX_VERB_OPTS]; /* owned until moved into params/local */
	size_t n_opts;
	char **words; /* positional words, borrowed from argv */
	size_t n_words;
};

static void parse_done(struct parse *p)
{
	cli_invocation_done(&p->inv);
	for (size_t i = 0; i < p->n_opts; i++)
		json_object_put(p->values[i]);
	free(p->words);
}

/* Handle a global option; *consumed tells whether @value (the next word) was used. */
static int global_option(struct parse *p, const struct cli_arg *g, const char *value, bool *consumed,
			 struct vg_error *err)
{
	int64_t n;

	*consumed = false;
	switch ((enum global_id)(g - global_opts)) {
	case G_JSON:
		p->inv.json = true;
		return 0;
	case G_NO_WAIT:
		p->inv.no_wait = true;
		return 0;
	case G_HELP:
	case G_VERSION:
		return 0; /* found by the pre-scan */
	case G_SOCKET:
	case G_UNITS:
	case G_TIMEOUT:
		break;
	}
	if (!value)
		return usage_error(err, p->verb, "--%s needs a value (%s)", g->name, g->metavar);
	*consumed = true;
	switch ((enum global_id)(g - global_opts)) {
	case G_SOCKET:
		if (!*value)
			return usage_error(err, p->verb, "--socket is empty");
		p->inv.socket = value;
		break;
	case G_UNITS:
		if (strlen(value) != 1 || !strchr("hbskmgtpe", tolower((unsigned char)value[0])))
			return usage_error(err, p->verb,
					   "--units: \"%s\" is not a unit; use h, b, s, k, m, g, t, p or e", value);
		p->inv.units = (char)tolower((unsigned char)value[0]);
		break;
	case G_TIMEOUT:
		if (!parse_int(value, &n) || n > INT_MAX / 1000)
			return usage_error(err, p->verb, "--timeout: \"%s\" is not a number of seconds", value);
		p->inv.timeout_ms = n == 0 ? -1 : (int)n * 1000;
		break;
	default:
		break;
	}
	return 0;
}

/* Each NAME once: a second --OPT NAME=... is a mistake, not an override. */
static int merge_named_bool(struct parse *p, size_t idx, const char *what, struct json_object *pair,
			    struct vg_error *err)
{
	int r = 0;

	if (!p->values[idx]) {
		p->values[idx] = pair;
		return 0;
	}
	json_object_object_foreach(pair, name, value) {
		if (json_object_object_get_ex(p->values[idx], name, NULL)) {
			r = usage_error(err, p->verb, "%s names %s twice", what, name);
			break;
		}
		r = add_member(p->values[idx], name, json_object_get(value), err);
	}
	json_object_put(pair);
	return r;
}

static int verb_option(struct parse *p, size_t idx, const char *value, bool *consumed, struct vg_error *err)
{
	const struct cli_arg *a = p->opts[idx];
	struct json_object *v = NULL;
	char what[64];
	int r;

	*consumed = false;
	snprintf(what, sizeof(what), "--%s", a->name);
	if (takes_value(a)) {
		if (!value)
			return usage_error(err, p->verb, "%s needs a value (%s)", what, a->metavar);
		*consumed = true;
	}
	if (p->values[idx] && !(a->flags & CLI_ARG_LIST))
		return usage_error(err, p->verb, "%s is given twice", what);
	r = make_value(p->verb, a, what, value, &v, err);
	if (r < 0)
		return r;
	if (a->type == CLI_NAMED_BOOL)
		return merge_named_bool(p, idx, what, v, err);
	if (a->flags & CLI_ARG_LIST) {
		if (!p->values[idx])
			p->values[idx] = json_object_new_array();
		if (!p->values[idx] || json_object_array_add(p->values[idx], v) < 0) {
			json_object_put(v);
			return vg_error_set(err, -ENOMEM, "out of memory");
		}
	} else {
		p->values[idx] = v;
	}
	return 0;
}

/* After all words: required options, one-of groups, then params in table order. */
static int finish_options(struct parse *p, struct vg_error *err)
{
	_cleanup_(strbuf_done) struct strbuf synopsis;
	size_t one_of = 0, one_of_given = 0;
	char names[256] = "";
	size_t used = 0;
	int r;

	strbuf_init(&synopsis);
	cli_synopsis(p->verb, &synopsis);
	for (size_t i = 0; i < p->n_opts; i++) {
		const struct cli_arg *a = p->opts[i];

		if ((a->flags & CLI_ARG_REQUIRED) && !p->values[i])
			return usage_error(err, p->verb, "--%s %s is required (usage: %s)", a->name,
					   a->metavar ? a->metavar : "", synopsis.data);
		if (a->flags & CLI_ARG_ONE_OF) {
			one_of++;
			if (p->values[i])
				one_of_given++;
			if (used < sizeof(names))
				used += (size_t)snprintf(names + used, sizeof(names) - used, "%s--%s",
							 one_of > 1 ? " or " : "", a->name);
		}
	}
	/* --bitmap and --no-bitmap fill one parameter: both at once is a contradiction */
	for (size_t i = 0; i < p->n_opts; i++)
		for (size_t j = i + 1; j < p->n_opts; j++)
			if (p->values[i] && p->values[j] && p->opts[i]->param &&
			    streq(p->opts[i]->param, p->opts[j]->param))
				return usage_error(err, p->verb, "give only one of --%s and --%s",
						   p->opts[i]->name, p->opts[j]->name);
	if (one_of && one_of_given == 0)
		return usage_error(err, p->verb, "give %s (usage: %s)", names, synopsis.data);
	if (one_of_given > 1)
		return usage_error(err, p->verb, "give only one of %s", names);

	for (size_t i = 0; i < p->n_opts; i++) {
		const struct cli_arg *a = p->opts[i];

		if (!p->values[i])
			continue;
		r = add_member((a->flags & CLI_ARG_LOCAL) ? p->inv.local : p->inv.params,
			       (a->flags & CLI_ARG_LOCAL) ? a->name : a->param, TAKE_PTR(p->values[i]), err);
		if (r < 0)
			return r;
	}
	return 0;
}

static void list_verbs(const struct cli_noun *noun, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (const struct cli_verb *v = noun->verbs; v->verb && used < len; v++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", v == noun->verbs ? "" : ", ", v->verb);
}

static void list_nouns(char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; cli_nouns[i] && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "", cli_nouns[i]->name);
}

/* "--size=20G" (@eq at '=') or "--size" -> "size". */
static void option_name(const char *word, const char *eq, char *buf, size_t len)
{
	size_t n = eq ? (size_t)(eq - word - 2) : strlen(word) - 2;

	snprintf(buf, len, "%.*s", (int)MIN(n, len - 1), word + 2);
}

/* Skip global options (and their values) from argv[*i]; stops at the first other word. */
static int skip_globals(struct parse *p, int argc, char **argv, int *i, struct vg_error *err)
{
	while (*i < argc && strncmp(argv[*i], "--", 2) == 0 && argv[*i][2]) {
		char name[64];
		const char *eq = strchr(argv[*i], '=');
		const struct cli_arg *g;
		bool consumed;
		int r;

		option_name(argv[*i], eq, name, sizeof(name));
		g = find_global(name);
		if (!g)
			return usage_error(err, NULL,
					   "unknown option --%s before the command (vgtool [--json] NOUN VERB ...)", name);
		if (eq && !takes_value(g))
			return usage_error(err, NULL, "--%s takes no value", name);
		r = global_option(p, g, eq ? eq + 1 : (*i + 1 < argc ? argv[*i + 1] : NULL), &consumed, err);
		if (r < 0)
			return r;
		*i += 1 + (consumed && !eq);
	}
	return 0;
}

/* Give the parsed invocation to the caller; what stays in @p is freed by its cleanup. */
static int hand_over(struct parse *p, struct cli_invocation *ret)
{
	*ret = p->inv;
	p->inv.params = p->inv.local = NULL;
	return 0;
}

/*
 * Find the noun and the verb, with global options around them and --help
 * anywhere. Returns 1 when the invocation is complete without verb
 * arguments (help, version), 0 when the verb's words start at *i, or a
 * negative errno.
 */
static int parse_command(struct parse *p, int argc, char **argv, int *i, struct vg_error *err)
{
	bool help = false, version = false;
	const char *noun_word = NULL, *verb_word = NULL;
	char list[512];
	int r;

	/* --help wins wherever it is, so a half-typed command line still gets its help. */
	for (int j = 1; j < argc && !streq(argv[j], "--"); j++) {
		if (streq(argv[j], "--help") || streq(argv[j], "-h"))
			help = true;
		else if (streq(argv[j], "--version"))
			version = true;
	}

	r = skip_globals(p, argc, argv, i, err);
	if (r >= 0 && *i < argc && streq(argv[*i], "help")) {
		/* vgtool help [NOUN [VERB]] */
		help = true;
		(*i)++;
	}
	if (*i < argc && argv[*i][0] != '-')
		noun_word = argv[(*i)++];
	if (r >= 0)
		r = skip_globals(p, argc, argv, i, err);
	if (*i < argc && argv[*i][0] != '-')
		verb_word = argv[(*i)++];
	if (r < 0 && !help && !version)
		return r;

	if (version && !noun_word) {
		p->inv.action = CLI_ACTION_VERSION;
		return 1;
	}
	if (!noun_word) {
		if (help) {
			p->inv.action = CLI_ACTION_HELP;
			return 1;
		}
		if (*i < argc)
			return usage_error(err, NULL, "unknown option %s before the command", argv[*i]);
		return usage_error(err, NULL,
				   "no command given (vgtool NOUN VERB ...; vgtool --help lists them)");
	}
	p->inv.noun = cli_find_noun(noun_word);
	if (!p->inv.noun) {
		list_nouns(list, sizeof(list));
		return usage_error(err, NULL, "unknown command \"%s\"; the nouns are: %s", noun_word, list);
	}
	if (!verb_word) {
		if (help) {
			p->inv.action = CLI_ACTION_HELP;
			return 1;
		}
		list_verbs(p->inv.noun, list, sizeof(list));
		return usage_error(err, NULL, "%s: which verb? %s", p->inv.noun->name, list);
	}
	p->verb = cli_find_verb(p->inv.noun, verb_word);
	if (!p->verb) {
		list_verbs(p->inv.noun, list, sizeof(list));
		return usage_error(err, NULL, "%s: unknown verb \"%s\"; the verbs are: %s", p->inv.noun->name,
				   verb_word, list);
	}
	p->inv.verb = p->verb;
	if (help) {
		p->inv.action = CLI_ACTION_HELP;
		return 1;
	}
	return 0;
}

/* The verb's options and positional words, from argv[i] on. */
static int parse_verb_words(struct parse *p, int argc, char **argv, int i, struct vg_error *err)
{
	int r;

	p->n_opts = verb_options(p->verb, p->opts, MAX_VERB_OPTS);
	for (bool positional_only = false; i < argc; i++) {
		const char *word = argv[i], *eq, *value;
		char name[64];
		const struct cli_arg *g;
		bool consumed = false;
		size_t idx;

		if (positional_only || word[0] != '-' || word[1] == '\0') {
			p->words[p->n_words++] = argv[i];
			continue;
		}
		if (streq(word, "--")) {
			positional_only = true;
			continue;
		}
		if (word[1] != '-')
			return usage_error(err, p->verb, "unknown option %s (options are spelled --name)", word);
		eq = strchr(word, '=');
		option_name(word, eq, name, sizeof(name));
		value = eq ? eq + 1 : (i + 1 < argc ? argv[i + 1] : NULL);

		g = find_global(name);
		for (idx = 0; !g && idx < p->n_opts; idx++)
			if (streq(p->opts[idx]->name, name))
				break;
		if (!g && idx == p->n_opts)
			return usage_error(err, p->verb, "unknown option --%s (see vgtool %s %s --help)", name,
					   p->verb->noun, p->verb->verb);
		if (eq && !takes_value(g ? g : p->opts[idx]))
			return usage_error(err, p->verb, "--%s takes no value", name);
		r = g ? global_option(p, g, value, &consumed, err) : verb_option(p, idx, value, &consumed, err);
		if (r < 0)
			return r;
		if (consumed && !eq)
			i++;
	}
	r = assign_positionals(p->verb, p->words, p->n_words, p->inv.params, err);
	if (r < 0)
		return r;
	return finish_options(p, err);
}

int cli_parse(int argc, char **argv, struct cli_invocation *ret, struct vg_error *err)
{
	_cleanup_(parse_done) struct parse p = { 0 };
	int i = 1, r;

	p.inv.units = 'h';
	p.inv.timeout_ms = CLI_DEFAULT_TIMEOUT_S * 1000;
	p.inv.params = json_object_new_object();
	p.inv.local = json_object_new_object();
	p.words = calloc((size_t)(argc > 0 ? argc : 1), sizeof(*p.words));
	if (!p.inv.params || !p.inv.local || !p.words)
		return vg_error_set(err, -ENOMEM, "out of memory");

	/* The hidden completion entry point takes the words as they are. */
	if (argc >= 2 && streq(argv[1], "__complete")) {
		p.inv.action = CLI_ACTION_COMPLETE;
		p.inv.complete_argc = argc - 2;
		p.inv.complete_argv = argv + 2;
		return hand_over(&p, ret);
	}
	r = parse_command(&p, argc, argv, &i, err);
	if (r < 0)
		return r;
	if (r == 0) {
		r = parse_verb_words(&p, argc, argv, i, err);
		if (r < 0)
			return r;
		p.inv.action = CLI_ACTION_CALL;
	}
	return hand_over(&p, ret);
}

char *cli_request_line(const char *method, struct json_object *params, uint64_t id)
{
	return rpc_request_line(id, method, params);
}

/* ---- help ---- */

static void arg_usage(const struct cli_arg *a, struct strbuf *out)
{
	if (a->type == CLI_LVREF) {
		strbuf_puts(out, a->flags & CLI_ARG_OPTIONAL ? " [VG/LV]" : " VG/LV");
	} else if ((a->flags & CLI_ARG_LIST) && (a->flags & CLI_ARG_OPTIONAL)) {
		strbuf_printf(out, " [%s...]", a->name);
	} else if (a->flags & CLI_ARG_LIST) {
		for (unsigned i = 1; i < a->min; i++)
			strbuf_printf(out, " %s", a->name);
		strbuf_printf(out, " %s...", a->name);
	} else if (a->flags & CLI_ARG_OPTIONAL) {
		strbuf_printf(out, " [%s]", a->name);
	} else {
		strbuf_printf(out, " %s", a->name);
	}
}

void cli_synopsis(const struct cli_verb *verb, struct strbuf *out)
{
	const struct cli_arg *opts[MAX_VERB_OPTS];
	size_t n = verb_options(verb, opts, MAX_VERB_OPTS);
	bool others = false, first_one_of = true;

	strbuf_printf(out, "vgtool %s %s", verb->noun, verb->verb);
	for (const struct cli_arg *a = verb->args; a && a->name; a++)
		arg_usage(a, out);
	for (size_t i = 0; i < n; i++) {
		if (opts[i]->flags & CLI_ARG_REQUIRED)
			strbuf_printf(out, " --%s %s", opts[i]->name, opts[i]->metavar ? opts[i]->metavar : "");
		else if (opts[i]->flags & CLI_ARG_ONE_OF) {
			strbuf_printf(out, "%s--%s%s%s", first_one_of ? " (" : " | ", opts[i]->name,
				      opts[i]->metavar ? " " : "", opts[i]->metavar ? opts[i]->metavar : "");
			first_one_of = false;
		} else
			others = true;
	}
	if (!first_one_of)
		strbuf_putc(out, ')');
	if (others)
		strbuf_puts(out, " [OPTIONS]");
}

static void option_help(const struct cli_arg *a, struct strbuf *out)
{
	char left[64];

	snprintf(left, sizeof(left), "--%s%s%s", a->name, a->metavar ? " " : "", a->metavar ? a->metavar : "");
	if (strlen(left) > 22)
		strbuf_printf(out, "  %s\n  %-22s  %s", left, "", a->help ? a->help : "");
	else
		strbuf_printf(out, "  %-22s  %s", left, a->help ? a->help : "");
	if (a->flags & CLI_ARG_LIST)
		strbuf_puts(out, " (may be repeated)");
	if (a->flags & CLI_ARG_REQUIRED)
		strbuf_puts(out, " (required)");
	strbuf_putc(out, '\n');
}

static void verb_help(const struct cli_verb *verb, struct strbuf *out)
{
	const struct cli_arg *opts[MAX_VERB_OPTS];
	size_t n = verb_options(verb, opts, MAX_VERB_OPTS);

	strbuf_puts(out, "Usage: ");
	cli_synopsis(verb, out);
	strbuf_printf(out, "\n\n%s.\n", verb->summary);
	if (verb->args && verb->args[0].name) {
		strbuf_puts(out, "\nArguments:\n");
		for (const struct cli_arg *a = verb->args; a->name; a++) {
			const char *name = a->type == CLI_LVREF ? "VG/LV" : a->name;

			strbuf_printf(out, "  %-22s  %s", name, a->help ? a->help : "");
			if (a->choices) {
				char list[128];

				join_choices(a->choices, ", ", list, sizeof(list));
				strbuf_printf(out, " (%s)", list);
			}
			if (a->def)
				strbuf_printf(out, " (default: %s)", a->def);
			strbuf_putc(out, '\n');
		}
	}
	if (n > 0 || (verb->flags & CLI_VERB_JOB)) {
		strbuf_puts(out, "\nOptions:\n");
		for (size_t i = 0; i < n; i++)
			option_help(opts[i], out);
		if (verb->flags & CLI_VERB_JOB)
			option_help(&global_opts[G_NO_WAIT], out);
	}
	strbuf_puts(out, "\nEvery command also takes --socket PATH, --json, --units UNIT, --timeout SECONDS.\n");
	strbuf_printf(out, "\nMethod: %s (see docs/api.md)\n", verb->method);
	if (verb->example)
		strbuf_printf(out, "Example: %s\n", verb->example);
}

static void noun_help(const struct cli_noun *noun, struct strbuf *out)
{
	strbuf_printf(out, "Usage: vgtool %s VERB [ARGS...]\n\n%s.\n\nVerbs:\n", noun->name, noun->summary);
	for (const struct cli_verb *v = noun->verbs; v->verb; v++)
		strbuf_printf(out, "  %-14s %s\n", v->verb, v->summary);
	strbuf_printf(out, "\nSee vgtool %s VERB --help for a verb's arguments and options.\n", noun->name);
}

void cli_help(const struct cli_noun *noun, const struct cli_verb *verb, struct strbuf *out)
{
	if (verb) {
		verb_help(verb, out);
		return;
	}
	if (noun) {
		noun_help(noun, out);
		return;
	}
	strbuf_puts(out, "Usage: vgtool [--socket PATH] [--json] [--units UNIT] NOUN VERB [ARGS...]\n\n"
			 "Manage mirrors, physical volumes, volume groups and logical volumes through vgtoold.\n\n"
			 "Commands:\n");
	for (size_t i = 0; cli_nouns[i]; i++) {
		for (const struct cli_verb *v = cli_nouns[i]->verbs; v->verb; v++) {
			char cmd[32];

			snprintf(cmd, sizeof(cmd), "%s %s", v->noun, v->verb);
			strbuf_printf(out, "  %-22s %s\n", cmd, v->summary);
		}
	}
	strbuf_puts(out, "\nOptions, accepted anywhere on the line:\n");
	for (const struct cli_arg *a = global_opts; a->name; a++)
		option_help(a, out);
	strbuf_puts(out, "\nSizes: 20G, 512M, 1.5T, 100s (sectors); binary units. LVs also take +10G, -5G,\n"
			 "100%FREE, 50%VG. An LV is named VG/LV or as two words VG LV.\n"
			 "\nExit status: 0 done; 1 refused by vgtoold (or a job failed); 2 usage error;\n"
			 "3 vgtoold unreachable.\n"
			 "\nSee vgtool NOUN VERB --help, and vgtool(8).\n");
}

/* ---- completion ---- */

static const char *kind_directive(enum cli_kind kind)
{
	switch (kind) {
	case CLI_KIND_VG:
		return "@vg";
	case CLI_KIND_LV:
		return "@lv";
	case CLI_KIND_PV:
		return "@pv";
	case CLI_KIND_DEVICE:
		return "@device";
	case CLI_KIND_MIRROR:
		return "@mirror";
	case CLI_KIND_FILE:
		return "@file";
	case CLI_KIND_JOB:
		return "@job";
	case CLI_KIND_NONE:
	default:
		return "@none";
	}
}

static void complete_value(const struct cli_arg *a, struct strbuf *out)
{
	if (a->choices) {
		for (const char *const *c = a->choices; *c; c++)
			strbuf_printf(out, "%s\n", *c);
		return;
	}
	strbuf_printf(out, "%s\n", kind_directive(a->kind));
}

static const struct cli_arg *lookup_option(const struct cli_verb *verb, const char *name)
{
	const struct cli_arg *opts[MAX_VERB_OPTS];
	size_t n = verb ? verb_options(verb, opts, MAX_VERB_OPTS) : 0;
	const struct cli_arg *g = find_global(name);

	if (g)
		return g;
	for (size_t i = 0; i < n; i++)
		if (streq(opts[i]->name, name))
			return opts[i];
	return NULL;
}

void cli_complete(int argc, char **argv, struct strbuf *out)
{
	const char *cur = argc > 0 ? argv[argc - 1] : "";
	const struct cli_noun *noun = NULL;
	const struct cli_verb *verb = NULL;
	_cleanup_free_ char **pos = calloc((size_t)argc + 1, sizeof(*pos));
	size_t n_pos = 0;
	const struct cli_arg *opts[MAX_VERB_OPTS];
	size_t n_opts;
	bool lost = false; /* a word that is no noun or verb: nothing sensible to offer */

	if (!pos)
		return;
	/* Walk the words before the cursor: options (and their values) aside, the rest is positional. */
	for (int i = 0; i < argc - 1; i++) {
		const struct cli_arg *a;

		if (strncmp(argv[i], "--", 2) == 0 && argv[i][2] && !strchr(argv[i], '=')) {
			a = lookup_option(verb, argv[i] + 2);
			if (a && takes_value(a)) {
				if (i + 1 == argc - 1) {
					complete_value(a, out); /* the cursor is on this option's value */
					return;
				}
				i++;
			}
			continue;
		}
		if (argv[i][0] == '-' && argv[i][1])
			continue;
		if (!noun) {
			noun = cli_find_noun(argv[i]);
			if (!noun) {
				lost = true;
				break;
			}
		} else if (!verb) {
			verb = cli_find_verb(noun, argv[i]);
			if (!verb) {
				lost = true;
				break;
			}
		} else {
			pos[n_pos++] = argv[i];
		}
	}

	if (cur[0] == '-') {
		for (const struct cli_arg *a = global_opts; a->name; a++)
			strbuf_printf(out, "--%s\n", a->name);
		n_opts = verb ? verb_options(verb, opts, MAX_VERB_OPTS) : 0;
		for (size_t i = 0; i < n_opts; i++)
			strbuf_printf(out, "--%s\n", opts[i]->name);
		return;
	}
	if (lost) {
		strbuf_puts(out, "@none\n");
		return;
	}
	if (!noun) {
		for (size_t i = 0; cli_nouns[i]; i++)
			strbuf_printf(out, "%s\n", cli_nouns[i]->name);
		strbuf_puts(out, "help\n");
		return;
	}
	if (!verb) {
		for (const struct cli_verb *v = noun->verbs; v->verb; v++)
			strbuf_printf(out, "%s\n", v->verb);
		return;
	}

	/* Which argument does the cursor fill? An LV given as two words takes two places. */
	size_t wi = 0;
	for (const struct cli_arg *a = verb->args; a && a->name; a++) {
		if (a->type == CLI_LVREF) {
			/* a new LV: offer "VG/" to go on from; an existing one: its full name */
			bool creating = verb->flags & CLI_VERB_CREATES;

			if (wi == n_pos) {
				strbuf_puts(out, creating ? "@vg/\n" : "@lv\n");
				return;
			}
			if (!strchr(pos[wi], '/')) {
				if (wi + 1 == n_pos) {
					if (creating)
						strbuf_puts(out, "@none\n");
					else
						strbuf_printf(out, "@lvin %s\n", pos[wi]);
					return;
				}
				wi++;
			}
			wi++;
			continue;
		}
		if ((a->flags & CLI_ARG_LIST) || wi == n_pos) {
			complete_value(a, out);
			return;
		}
		wi++;
	}
	strbuf_puts(out, "@none\n");
}
