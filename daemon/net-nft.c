#include "daemon/net-nft.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/error.h"

#define NFT_MESSAGE_MAX	1024

void nft_table_name(const char *uuid, char *buf)
{
	snprintf(buf, NFT_TABLE_MAX, "gasang_%.8s", uuid);
}

char *nft_network_script(const char *table, bool nat, const char *bridge, const char *subnet)
{
	char *s = NULL;
	int n;

	/* "table" first: a delete of a table that is not there would fail the script */
	if (nat)
		n = asprintf(&s,
			"table ip %1$s\n"
			"delete table ip %1$s\n"
			"table ip %1$s {\n"
			"\tchain postrouting {\n"
			"\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
			"\t\tip saddr %3$s ip daddr != %3$s masquerade\n"
			"\t}\n"
			"\tchain forward {\n"
			"\t\ttype filter hook forward priority filter; policy accept;\n"
			"\t\tiifname \"%2$s\" oifname \"%2$s\" accept\n"
			"\t\tiifname \"%2$s\" ip saddr %3$s accept\n"
			"\t\toifname \"%2$s\" ip daddr %3$s ct state established,related accept\n"
			"\t\tiifname \"%2$s\" drop\n"
			"\t\toifname \"%2$s\" drop\n"
			"\t}\n"
			"}\n", table, bridge, subnet);
	else
		n = asprintf(&s,
			"table ip %1$s\n"
			"delete table ip %1$s\n"
			"table ip %1$s {\n"
			"\tchain forward {\n"
			"\t\ttype filter hook forward priority filter; policy accept;\n"
			"\t\tiifname \"%2$s\" oifname \"%2$s\" accept\n"
			"\t\tiifname \"%2$s\" drop\n"
			"\t\toifname \"%2$s\" drop\n"
			"\t}\n"
			"}\n", table, bridge);
	return n < 0 ? NULL : s;
}

/* `nft ARGS` with script on its stdin (NULL: none): its exit status, its message into msg. */
static int run_nft(const char *const *args, const char *script, char *msg, size_t msg_len)
{
	int in[2], out[2], status, i = 0;
	const char *argv[8];
	size_t got = 0;
	ssize_t r;
	pid_t pid;

	argv[i++] = "nft";
	while (*args && i < 7)
		argv[i++] = *args++;
	argv[i] = NULL;
	msg[0] = '\0';
	if (pipe2(in, O_CLOEXEC))
		return -errno;
	if (pipe2(out, O_CLOEXEC)) {
		close(in[0]);
		close(in[1]);
		return -errno;
	}
	pid = fork();
	if (pid < 0) {
		status = -errno;
		goto out;
	}
	if (pid == 0) {
		dup2(in[0], STDIN_FILENO);
		dup2(out[1], STDOUT_FILENO);
		dup2(out[1], STDERR_FILENO);
		execvp("nft", (char *const *)argv);
		dprintf(STDERR_FILENO, "cannot run nft: %s (Debian package nftables)", strerror(errno));
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	in[0] = out[1] = -1;
	/* a script is small: it fits in the pipe, nft's answer too */
	if (script && write(in[1], script, strlen(script)) < 0)
		(void)0;	/* nft says what it missed */
	close(in[1]);
	in[1] = -1;
	while (got + 1 < msg_len && (r = read(out[0], msg + got, msg_len - 1 - got)) > 0)
		got += (size_t)r;
	msg[got] = '\0';
	while (got && (msg[got - 1] == '\n' || msg[got - 1] == ' '))
		msg[--got] = '\0';
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			status = -errno;
			goto out;
		}
	status = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
out:
	for (i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
	}
	return status;
}

int nft_apply(const char *script)
{
	static const char *const args[] = { "-f", "-", NULL };
	char msg[NFT_MESSAGE_MAX];
	int rc = run_nft(args, script, msg, sizeof(msg));

	if (rc < 0)
		return error_errno(rc, "cannot run nft");
	if (rc)
		return error_set(rc == 127 ? -ENOENT : -EIO, "nft: %s", msg[0] ? msg : "failed");
	return 0;
}

int nft_table_delete(const char *table)
{
	char script[128];

	snprintf(script, sizeof(script), "table ip %1$s\ndelete table ip %1$s\n", table);
	return nft_apply(script);
}

bool nft_table_exists(const char *table)
{
	const char *args[] = { "list", "table", "ip", table, NULL };
	char msg[64];

	return run_nft(args, NULL, msg, sizeof(msg)) == 0;
}
