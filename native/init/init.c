/*
 * berth-init: the smallest useful pid 1. Usage: berth-init [--] cmd [args...]
 * It starts cmd as its child in its own process group (for the terminal), forwards every
 * catchable signal to it, reaps every zombie that gets reparented to it, and exits with the
 * child's status (128+signal when the child was killed), as docker-init (tini) does.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static int spawn(char **argv, const sigset_t *old, pid_t *out)
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		setpgid(0, 0);
		if (isatty(STDIN_FILENO))
			tcsetpgrp(STDIN_FILENO, getpgrp());
		sigprocmask(SIG_SETMASK, old, NULL);
		execvp(argv[0], argv);
		fprintf(stderr, "berth-init: exec %s: %s\n", argv[0], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	*out = pid;
	return 0;
}

int main(int argc, char **argv)
{
	int first = 1;
	if (argc > 1 && strcmp(argv[1], "--") == 0)
		first = 2;
	if (first >= argc) {
		fprintf(stderr, "usage: berth-init [--] cmd [args...]\n");
		return 2;
	}

	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	/* The terminal signals must not stop us when the child owns the foreground group. */
	signal(SIGTTIN, SIG_IGN);
	signal(SIGTTOU, SIG_IGN);
	if (getpid() != 1)
		prctl(PR_SET_CHILD_SUBREAPER, 1);

	pid_t child;
	if (spawn(&argv[first], &old, &child) < 0) {
		fprintf(stderr, "berth-init: fork: %s\n", strerror(errno));
		return 1;
	}

	for (;;) {
		struct timespec tick = { .tv_sec = 1, .tv_nsec = 0 };
		siginfo_t si;
		int sig = sigtimedwait(&all, &si, &tick);
		if (sig > 0 && sig != SIGCHLD) {
			if (kill(child, sig) < 0 && errno != ESRCH)
				fprintf(stderr, "berth-init: forward signal %d: %s\n", sig, strerror(errno));
		}
		for (;;) {
			int status;
			pid_t p = waitpid(-1, &status, WNOHANG);
			if (p <= 0)
				break;
			if (p != child)
				continue;
			if (WIFEXITED(status))
				return WEXITSTATUS(status);
			if (WIFSIGNALED(status))
				return 128 + WTERMSIG(status);
		}
	}
}
