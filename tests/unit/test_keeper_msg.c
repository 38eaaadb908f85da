// SPDX-License-Identifier: GPL-2.0-only
/* The keeper's request set (keeper_msg.h): encoding, checks, a socketpair round trip. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "keeper_msg.h"

static bool rec_has(void *opaque, const char *bdf)
{
	return !strcmp(bdf, (const char *)opaque);
}

static void action_names(void **state)
{
	char bdf[BDF_LEN];
	unsigned int v;

	(void)state;
	assert_int_equal(keeper_action_parse("vfio-msix[3](0000:01:00.2)", bdf, &v), 0);
	assert_string_equal(bdf, "0000:01:00.2");
	assert_int_equal(v, 3);
	assert_int_equal(keeper_action_parse("vfio-msi[0](0000:01:00.0)", bdf, &v), 0);
	assert_int_equal(keeper_action_parse("vfio-msix[2048](0000:01:00.0)", bdf, &v), -EINVAL);
	assert_int_equal(keeper_action_parse("vfio-msix[01](0000:01:00.0)", bdf, &v), -EINVAL);
	assert_int_equal(keeper_action_parse("vfio-msix[1](01:00.0)", bdf, &v), -EINVAL);
	assert_int_equal(keeper_action_parse("vfio-msix[1](0000:01:00.0)x", bdf, &v), -EINVAL);
	assert_int_equal(keeper_action_parse("eth0[1](0000:01:00.0)", bdf, &v), -EINVAL);
	assert_int_equal(keeper_action_parse("vfio-msix[1](../../x)", bdf, &v), -EINVAL);
}

static void checks(void **state)
{
	struct keeper_allow a = {0};
	struct keeper_req r;
	struct errinfo e = {0};
	cpu_set_t cpus;
	char rec[] = "0000:02:00.0";

	(void)state;
	assert_int_equal(keeper_allow_add(&a, "0000:01:00.0"), 0);
	CPU_ZERO(&cpus);
	CPU_SET(1, &cpus);
	assert_int_equal(keeper_req_irq(&r, "vfio-msix[0](0000:01:00.0)", &cpus, &e), 0);
	assert_int_equal(keeper_req_check(&r, sizeof(r), &a, rec_has, rec, 4, &e), 0);
	/* a CPU the host does not have */
	assert_int_equal(keeper_req_check(&r, sizeof(r), &a, rec_has, rec, 1, &e), -EINVAL);
	/* a device the VM does not have; one its record lists */
	assert_int_equal(keeper_req_irq(&r, "vfio-msix[0](0000:03:00.0)", &cpus, &e), 0);
	assert_int_equal(keeper_req_check(&r, sizeof(r), &a, rec_has, rec, 4, &e), -EPERM);
	assert_int_equal(keeper_req_irq(&r, "vfio-msix[0](0000:02:00.0)", &cpus, &e), 0);
	assert_int_equal(keeper_req_check(&r, sizeof(r), &a, rec_has, rec, 4, &e), 0);
	/* an empty set is refused at both ends */
	CPU_ZERO(&cpus);
	assert_int_equal(keeper_req_irq(&r, "vfio-msix[0](0000:01:00.0)", &cpus, &e), -EINVAL);
	memset(r.cpus, 0, sizeof(r.cpus));
	assert_int_equal(keeper_req_check(&r, sizeof(r), &a, rec_has, rec, 4, &e), -EINVAL);
	/* give back: only what the record lists */
	assert_int_equal(keeper_req_bdf(&r, KEEPER_OP_GIVE_BACK, "0000:02:00.0", &e), 0);
	assert_int_equal(keeper_req_check(&r, sizeof(r), &a, rec_has, rec, 4, &e), 0);
	assert_int_equal(keeper_req_bdf(&r, KEEPER_OP_GIVE_BACK, "0000:01:00.0", &e), 0);
	assert_int_equal(keeper_req_check(&r, sizeof(r), &a, rec_has, rec, 4, &e), -EPERM);
	assert_int_equal(keeper_req_bdf(&r, KEEPER_OP_GIVE_BACK, "1:0.0", &e), -EINVAL);
	/* declare: only before seal */
	assert_int_equal(keeper_req_bdf(&r, KEEPER_OP_DECLARE, "0000:05:00.0", &e), 0);
	assert_int_equal(keeper_req_check(&r, sizeof(r), &a, rec_has, rec, 4, &e), 0);
	a.sealed = true;
	assert_int_equal(keeper_req_check(&r, sizeof(r), &a, rec_has, rec, 4, &e), -EPERM);
	/* malformed: size, magic, op, unterminated string */
	assert_int_equal(keeper_req_check(&r, sizeof(r) - 1, &a, rec_has, rec, 4, &e), -EINVAL);
	r.magic = 0;
	assert_int_equal(keeper_req_check(&r, sizeof(r), &a, rec_has, rec, 4, &e), -EINVAL);
	keeper_req_seal(&r);
	r.op = 99;
	assert_int_equal(keeper_req_check(&r, sizeof(r), &a, rec_has, rec, 4, &e), -EINVAL);
	keeper_req_seal(&r);
	memset(r.bdf, 'a', sizeof(r.bdf));
	assert_int_equal(keeper_req_check(&r, sizeof(r), &a, rec_has, rec, 4, &e), -EINVAL);
	keeper_allow_free(&a);
}

static void round_trip(void **state)
{
	struct keeper_req r, got;
	struct errinfo e = {0}, res = {0}, no = {0};
	int sv[2], fds[KEEPER_MAX_FDS], nfds, pfd[2];
	size_t len;
	char c = 0;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(keeper_req_bdf(&r, KEEPER_OP_DECLARE, "0000:01:00.0", &e), 0);
	assert_int_equal(keeper_send_req(sv[1], &r, &e), 0);
	assert_int_equal(keeper_recv_req(sv[0], &got, &len, &e), 0);
	assert_int_equal(len, sizeof(got));
	assert_memory_equal(&r, &got, sizeof(r));
	/* an oversized datagram is seen as such (MSG_TRUNC) and refused by the check */
	{
		char big[sizeof(r) + 8] = {0};

		assert_int_equal(send(sv[1], big, sizeof(big), 0), (ssize_t)sizeof(big));
		assert_int_equal(keeper_recv_req(sv[0], &got, &len, &e), 0);
		assert_int_equal(len, sizeof(big));
	}
	/* a reply carrying a descriptor (SCM_RIGHTS) */
	assert_int_equal(pipe(pfd), 0);
	assert_int_equal(keeper_send_reply(sv[0], NULL, &pfd[0], 1, &e), 0);
	assert_int_equal(keeper_recv_reply(sv[1], &res, fds, KEEPER_MAX_FDS, &nfds, &e), 0);
	assert_int_equal(res.err, 0);
	assert_int_equal(nfds, 1);
	assert_int_equal(write(pfd[1], "x", 1), 1);
	assert_int_equal(read(fds[0], &c, 1), 1);
	assert_int_equal(c, 'x');
	assert_true(fcntl(fds[0], F_GETFD) & FD_CLOEXEC);
	close(fds[0]);
	close(pfd[0]);
	close(pfd[1]);
	/* a refusal comes back with its errno and message */
	err_set(&no, EPERM, "not yours");
	assert_int_equal(keeper_send_reply(sv[0], &no, NULL, 0, &e), 0);
	assert_int_equal(keeper_recv_reply(sv[1], &res, fds, KEEPER_MAX_FDS, &nfds, &e), 0);
	assert_int_equal(res.err, EPERM);
	assert_string_equal(res.msg, "not yours");
	assert_int_equal(nfds, 0);
	/* the keeper gone: EPIPE, not a hang */
	close(sv[0]);
	assert_int_equal(keeper_recv_reply(sv[1], &res, fds, KEEPER_MAX_FDS, &nfds, &e), -EPIPE);
	close(sv[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(action_names),
		cmocka_unit_test(checks),
		cmocka_unit_test(round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
