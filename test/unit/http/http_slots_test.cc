// HttpSlots without libmicrohttpd: which connection is shut down to make room,
// and the cap on heavy responses that keeps room for /healthz.
#include "http/http_slots.h"

#include <doctest/doctest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

using fodns::http::HttpSlots;

namespace {

// One end of a socket pair per connection; the other end tells whether it was shut down.
struct Pair {
  int ours = -1, theirs = -1;
  Pair() {
    int sv[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0);
    ours = sv[0];
    theirs = sv[1];
  }
  ~Pair() {
    ::close(ours);
    ::close(theirs);
  }
  bool shut_down() const {
    char b;
    return ::read(theirs, &b, 1) == 0;  // EOF: our end was shut down (else EAGAIN)
  }
};

}  // namespace

TEST_CASE("over the limit, the oldest connection without a response in flight is shut down") {
  HttpSlots slots(3);
  std::vector<Pair> p(4);
  auto* a = slots.opened(p[0].ours);
  auto* b = slots.opened(p[1].ours);
  slots.opened(p[2].ours);
  CHECK(slots.begin(a, true));  // a is sending /metrics: not closed for a newcomer
  slots.opened(p[3].ours);
  CHECK(!p[0].shut_down());
  CHECK(p[1].shut_down());
  CHECK(!p[2].shut_down());
  CHECK(slots.evicted() == 1);
  slots.closed(b);  // libmicrohttpd closes it afterwards
  slots.completed(a);
}

TEST_CASE("heavy responses may take all but kReserved connections; /healthz is never capped") {
  HttpSlots slots(HttpSlots::kReserved + 2);
  std::vector<Pair> p(HttpSlots::kReserved + 2);
  std::vector<HttpSlots::Conn*> c;
  for (auto& x : p) c.push_back(slots.opened(x.ours));
  CHECK(slots.begin(c[0], true));
  CHECK(slots.begin(c[1], true));
  CHECK(!slots.begin(c[2], true));  // a third /metrics gets 503
  CHECK(slots.begin(c[2], false));  // /healthz is answered
  slots.completed(c[0]);
  CHECK(slots.begin(c[3], true));   // room again once a heavy response is sent
}
