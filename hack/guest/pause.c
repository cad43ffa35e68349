/*
 * The pod sandbox's pause process (/pause_bundle/rootfs/pause in the guest).
 * It holds the sandbox's namespaces open and does nothing else: sleeps in
 * pause(), exits 0 on SIGTERM or SIGINT (the agent stops a sandbox that way),
 * and, being PID 1 of a shared PID namespace, reaps every child that gets
 * reparented to it. Built with `gcc -static -Os` by hack/guest/build.sh.
 */
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_stop(int sig)
{
	(void)sig;
	_exit(0);
}

static void on_child(int sig)
{
	int saved = errno;
	(void)sig;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	errno = saved;
}

int main(void)
{
	struct sigaction stop = { .sa_handler = on_stop };
	struct sigaction child = { .sa_handler = on_child, .sa_flags = SA_NOCLDSTOP | SA_RESTART };

	sigemptyset(&stop.sa_mask);
	sigemptyset(&child.sa_mask);
	/* As PID 1 of a namespace, signals without a handler are ignored,
	 * so SIGTERM and SIGINT need one to stop us at all. */
	if (sigaction(SIGTERM, &stop, NULL) < 0 || sigaction(SIGINT, &stop, NULL) < 0 ||
	    sigaction(SIGCHLD, &child, NULL) < 0)
		return 1;
	/* Children may have exited before the handler was installed. */
	on_child(SIGCHLD);
	for (;;)
		pause();
}
