/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vgtool's side of the socket (cli/rpc-client.c) against a peer that sends
 * exactly the bytes each case needs: a reply that arrives one byte at a time
 * after a notification and a blank line, answers to other ids, an error with
 * a null id, text that is not JSON, a peer that closes or never answers, a
 * socket that is not there. The peer is a forked process on a Unix socket in
 * a temporary directory; it checks the request line it receives, so the
 * framing is tested in both directions.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "rpc-client.h"

struct peer {
	const char *send;    /* bytes to send after the request line */
	bool byte_by_byte;   /* one write per byte, so reads see every split */
	bool hang;           /* then keep the connection open without a word */
};

static char dir[] = "/tmp/vgtool-rpc-test.XXXXXX";
static char sock_path[sizeof(dir) + 16];

/* Serve one connection as @p says; exits 0 when the request line was the expected one. */
static void serve(int listen_fd, const struct peer *p)
{
	char buf[4096];
	size_t len = 0;
	int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		_exit(2);
	while (len < sizeof(buf) - 1 && !memchr(buf, '\n', len)) {
		ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);

		if (n <= 0)
			_exit(3);
		len += (size_t)n;
	}
	buf[len] = '\0';
	if (!streq(buf, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"vg.show\",\"params\":{\"name\":\"vg_raid\"}}\n"))
		_exit(4);
	for (size_t i = 0; p->send[i];) {
		size_t n = p->byte_by_byte ? 1 : strlen(p->send + i);

		if (write(fd, p->send + i, n) != (ssize_t)n)
			_exit(5);
		i += n;
	}
	if (p->hang)
		sleep(2);
	close(fd);
	_exit(0);
}

static pid_t start_peer(const struct peer *p)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	pid_t pid;

	assert_true(fd >= 0);
	unlink(sock_path);
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", sock_path);
	assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(listen(fd, 1), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		serve(fd, p);
	close(fd);
	return pid;
}

static void wait_peer(pid_t pid)
{
	int status = 0;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static int notifications;

static void count_notification(struct json_object *msg, void *userdata)
{
	(void)userdata;
	assert_string_equal(json_object_get_string(json_object_object_get(msg, "method")), "event");
	notifications++;
}

/* One vg.show call to a peer sending @p; returns what rpc_client_call returned. */
static int call(const struct peer *p, int timeout_ms, struct json_object **ret_result, struct json_object **ret_error,
		struct vg_error *err)
{
	_cleanup_(rpc_client_freep) struct rpc_client *client = NULL;
	struct json_object *params = json_tokener_parse("{\"name\":\"vg_raid\"}");
	pid_t pid = start_peer(p);
	int r;

	assert_int_equal(rpc_client_connect(sock_path, &client, err), 0);
	notifications = 0;
	*ret_result = *ret_error = NULL;
	r = rpc_client_call(client, "vg.show", params, timeout_ms, count_notification, NULL, ret_result, ret_error,
			    err);
	json_object_put(params);
	client = rpc_client_free(client);
	wait_peer(pid);
	return r;
}

static void test_split_reply_after_notification(void **state)
{
	static const struct peer p = {
		.send = "{\"jsonrpc\":\"2.0\",\"method\":\"event\",\"params\":{\"seq\":1}}\n"
			"\r\n"
			"{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"vg\":{\"name\":\"vg_raid\",\"path\":\"/a/b\"}}}\n",
		.byte_by_byte = true,
	};
	struct json_object *result, *error;
	struct vg_error err = { 0 };

	assert_int_equal(call(&p, 5000, &result, &error, &err), 0);
	assert_null(error);
	assert_int_equal(notifications, 1);
	assert_string_equal(json_object_to_json_string_ext(result, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
			    "{\"vg\":{\"name\":\"vg_raid\",\"path\":\"/a/b\"}}");
	json_object_put(result);
}

static void test_other_ids_and_errors(void **state)
{
	static const struct peer stale = {
		.send = "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{}}\n"
			"{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32001,\"message\":\"no VG vg_raid\","
			"\"data\":{\"reason\":\"ENOENT\",\"field\":\"name\"}}}\n",
	};
	static const struct peer null_id = {
		.send = "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,\"message\":\"the line is not JSON\"}}\n",
	};
	struct json_object *result, *error;
	struct vg_error err = { 0 };

	assert_int_equal(call(&stale, 5000, &result, &error, &err), 1);
	assert_null(result);
	assert_string_equal(json_object_get_string(json_object_object_get(error, "message")), "no VG vg_raid");
	json_object_put(error);

	assert_int_equal(call(&null_id, 5000, &result, &error, &err), 1);
	assert_int_equal(json_object_get_int(json_object_object_get(error, "code")), -32700);
	json_object_put(error);
}

static void test_broken_peers(void **state)
{
	static const struct peer garbage = { .send = "HTTP/1.0 400 Bad Request\n" };
	static const struct peer two_objects = { .send = "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}} {}\n" };
	static const struct peer not_rpc = { .send = "{\"jsonrpc\":\"1.0\",\"id\":1,\"result\":{}}\n" };
	static const struct peer neither = { .send = "{\"jsonrpc\":\"2.0\",\"id\":1}\n" };
	static const struct peer closes = { .send = "{\"jsonrpc\":\"2.0\",\"id\":1,\"res" };
	static const struct peer silent = { .send = "", .hang = true };
	struct json_object *result, *error;
	struct vg_error err = { 0 };

	assert_int_equal(call(&garbage, 5000, &result, &error, &err), -EBADMSG);
	assert_non_null(strstr(err.message, "not JSON"));
	assert_int_equal(call(&two_objects, 5000, &result, &error, &err), -EBADMSG);
	assert_int_equal(call(&not_rpc, 5000, &result, &error, &err), -EBADMSG);
	assert_int_equal(call(&neither, 5000, &result, &error, &err), -EBADMSG);
	assert_int_equal(call(&closes, 5000, &result, &error, &err), -ECONNRESET);
	assert_string_equal(err.message, "vgtoold closed the connection in the middle of a reply");
	assert_int_equal(call(&silent, 200, &result, &error, &err), -ETIMEDOUT);
	assert_string_equal(err.message, "no reply within 1 s");
	assert_null(result);
	assert_null(error);
}

static void test_connect_failures(void **state)
{
	struct rpc_client *client = NULL;
	struct vg_error err = { 0 };
	char long_path[200];

	assert_int_equal(rpc_client_connect("/nonexistent/vgtoold.sock", &client, &err), -ENOENT);
	assert_null(client);
	memset(long_path, 'x', sizeof(long_path) - 1);
	long_path[0] = '/';
	long_path[sizeof(long_path) - 1] = '\0';
	assert_int_equal(rpc_client_connect(long_path, &client, &err), -ENAMETOOLONG);
	assert_null(client);
}

static void test_request_line(void **state)
{
	struct json_object *params = json_tokener_parse("{\"pvs\":[\"/dev/sdb\"],\"size\":\"+10G\"}");
	char *line = rpc_request_line(42, "vg.extend", params);

	assert_string_equal(line, "{\"jsonrpc\":\"2.0\",\"id\":42,\"method\":\"vg.extend\",\"params\":{\"pvs\":[\"/dev/sdb\"],"
				  "\"size\":\"+10G\"}}");
	free(line);
	line = rpc_request_line(1, "host.status", NULL);
	assert_string_equal(line, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"host.status\",\"params\":{}}");
	free(line);
	json_object_put(params);
}

static int setup(void **state)
{
	if (!mkdtemp(dir))
		return -1;
	snprintf(sock_path, sizeof(sock_path), "%s/sock", dir);
	return 0;
}

static int teardown(void **state)
{
	unlink(sock_path);
	rmdir(dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_reply_after_notification),
		cmocka_unit_test(test_other_ids_and_errors),
		cmocka_unit_test(test_broken_peers),
		cmocka_unit_test(test_connect_failures),
		cmocka_unit_test(test_request_line),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
