// SIGPIPE is ignored as soon as a worker can accept TCP (issue 14): a client that
// resets its connection while we write must not kill the server, even in the
// moments between the workers starting and the rest of `serve` being set up.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "server/listen_address.h"
#include "server/publisher.h"
#include "server/socket_opts.h"
#include "server/worker.h"

using namespace fodns;

TEST_CASE("Worker::start ignores SIGPIPE before its TCP listener accepts") {
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // A fresh process as `serve` starts one: SIGPIPE has its default action.
    signal(SIGPIPE, SIG_DFL);
    auto addr = server::parse_listen_address("127.0.0.1:0");
    if (!addr) _exit(10);
    auto fd = server::open_tcp_listener(*addr, 16);
    if (!fd) _exit(11);
    server::Publisher publisher;
    server::WorkerConfig cfg;
    cfg.tcp_fds.push_back(*fd);
    server::Worker w(0, publisher, std::move(cfg));
    if (!w.start()) _exit(12);
    struct sigaction sa {};
    sigaction(SIGPIPE, nullptr, &sa);
    bool ignored = sa.sa_handler == SIG_IGN;
    // And for real: writing to a socket whose reader is gone raises SIGPIPE unless ignored.
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) _exit(13);
    ::close(sv[1]);
    ssize_t n = ::write(sv[0], "x", 1);
    w.stop();
    _exit(ignored && n < 0 ? 0 : 1);
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  CHECK_MESSAGE(!WIFSIGNALED(status), "killed by signal ", WTERMSIG(status));
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}
