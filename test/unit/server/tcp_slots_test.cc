// TcpSlots and TcpAddressLimit without sockets: which connection is closed to
// make room, how the idle timeout shrinks, how refusals are counted.
#include "server/tcp_slots.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>

#include <vector>

#include "server/tcp_address_limit.h"

using namespace fodns::server;

namespace {

struct FakeConn final : TcpSlot {
  TcpSlots* slots = nullptr;
  bool closed = false;
  bool xfr = false;
  void evict() override {
    closed = true;
    slots->remove(this);
  }
  bool transferring() const override { return xfr; }
};

sockaddr_in v4(const char* a) {
  sockaddr_in s{};
  s.sin_family = AF_INET;
  inet_pton(AF_INET, a, &s.sin_addr);
  return s;
}

}  // namespace

TEST_CASE("the idle timeout is whole up to half full, then shrinks to the floor when full") {
  WorkerCounters c;
  TcpSlots slots(10, 10'000, c, 0);
  std::vector<FakeConn> conns(10);
  for (int i = 0; i < 5; ++i) slots.add(&conns[i], 0);
  CHECK(slots.idle_timeout_ms() == 10'000);
  for (int i = 5; i < 8; ++i) slots.add(&conns[i], 0);
  CHECK(slots.idle_timeout_ms() < 10'000);
  CHECK(slots.idle_timeout_ms() > TcpSlots::kMinIdleMs);
  for (int i = 8; i < 10; ++i) slots.add(&conns[i], 0);
  CHECK(slots.idle_timeout_ms() == TcpSlots::kMinIdleMs);
}

TEST_CASE("a full worker closes the longest idle connection, never a transfer") {
  WorkerCounters c;
  TcpSlots slots(3, 10'000, c, 0);
  FakeConn a, b, d;
  for (FakeConn* f : {&a, &b, &d}) f->slots = &slots;
  slots.add(&a, 100);
  slots.add(&b, 200);
  slots.add(&d, 300);
  slots.touch(&a, 400);  // a sent a whole message: now the most recent
  b.xfr = true;          // b is sending a zone transfer
  CHECK(slots.make_room(450));
  CHECK(d.closed);  // the oldest activity that is not a transfer
  CHECK(!a.closed);
  CHECK(!b.closed);
  CHECK(slots.open() == 2);
  CHECK(c.tcp_evicted.load() == 1);
}

TEST_CASE("connections idle past the shrunken timeout are closed before a new one is taken") {
  WorkerCounters c;
  TcpSlots slots(4, 10'000, c, 0);
  FakeConn old1, old2, fresh;
  for (FakeConn* f : {&old1, &old2, &fresh}) f->slots = &slots;
  slots.add(&old1, 0);
  slots.add(&old2, 0);
  slots.add(&fresh, 9'000);
  // 3 of 4 open: the timeout is 500 + 9500 * 1/2 = 5250 ms; the two from t=0 are past it.
  CHECK(slots.idle_timeout_ms() == 5'250);
  CHECK(slots.make_room(9'100));
  CHECK(old1.closed);
  CHECK(old2.closed);
  CHECK(!fresh.closed);
  CHECK(c.tcp_idle_closed.load() == 2);
}

TEST_CASE("when every slot holds a transfer, the new connection is refused and counted") {
  WorkerCounters c;
  TcpSlots slots(1, 10'000, c, 0);
  FakeConn x;
  x.slots = &slots;
  x.xfr = true;
  slots.add(&x, 0);
  CHECK(!slots.make_room(1));
  auto peer = v4("192.0.2.1");
  slots.refused(TcpSlots::Refusal::Full, reinterpret_cast<sockaddr*>(&peer), 1);
  CHECK(c.tcp_refused[1].load() == 1);
}

TEST_CASE("per-address limit: counted over all connections of one address, released on close") {
  TcpAddressLimit limit(2);
  auto a = v4("192.0.2.7"), b = v4("192.0.2.8");
  auto* pa = reinterpret_cast<sockaddr*>(&a);
  bool refused = false;
  uint32_t b1 = limit.acquire(pa, &refused);
  CHECK(!refused);
  uint32_t b2 = limit.acquire(pa, &refused);
  CHECK(!refused);
  CHECK(limit.acquire(pa, &refused) == TcpAddressLimit::kNoBucket);
  CHECK(refused);
  CHECK(limit.count(pa) == 2);
  limit.acquire(reinterpret_cast<sockaddr*>(&b), &refused);
  CHECK(!refused);  // another address has its own count (unless the hash says otherwise: 1/65536)
  limit.release(b1);
  limit.release(b2);
  CHECK(limit.count(pa) == 0);
  TcpAddressLimit none(0);
  for (int i = 0; i < 100; ++i) none.acquire(pa, &refused);
  CHECK(!refused);
}
