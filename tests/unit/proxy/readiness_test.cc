// The level-triggered read path of proxy/readiness.h and Stream::read_now over real
// loopback TCP sockets: what arrives with the last bytes (FIN, RST) is seen, cancellation
// through || works, a socket removed while its event is queued is skipped (its operation
// outlives it), and more ready sockets than one epoll_wait takes are all seen.
#include "proxy/readiness.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "proxy/stream.h"

namespace blueshift::proxy {
namespace {

using namespace std::chrono_literals;
using namespace asio::experimental::awaitable_operators;

// A connected pair of loopback TCP sockets on ctx: [0] is the proxy's side, [1] the peer.
std::pair<tcp::socket, tcp::socket> connected_pair(asio::io_context& ctx) {
  tcp::acceptor acceptor(ctx, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  tcp::socket a(ctx), b(ctx);
  b.connect(acceptor.local_endpoint());
  acceptor.accept(a);
  return {std::move(a), std::move(b)};
}

// Runs body on ctx to completion; fails the test if it takes longer than limit (a hang).
void run_for(asio::io_context& ctx, awaitable<void> body, std::chrono::milliseconds limit = 3000ms) {
  bool done = false;
  asio::co_spawn(ctx, std::move(body), [&](std::exception_ptr e) {
    done = true;
    ctx.stop();  // the epoll set's own wait keeps the io_context busy
    if (e) std::rethrow_exception(e);
  });
  ctx.run_for(limit);
  EXPECT_TRUE(done) << "the coroutine did not finish within " << limit.count() << " ms";
}

// Reads until end of stream or error, through read_now/readable as the pumps do.
awaitable<std::pair<std::string, error_code>> read_all(Stream& stream) {
  Buffer buffer;
  std::string got;
  for (;;) {
    error_code ec;
    size_t n = 0;
    while (!stream.read_now(buffer, 16, true, ec, n)) {
      std::tie(ec) = co_await stream.readable();
      if (ec) break;
    }
    if (ec) co_return std::pair{got, ec};
    got.append(reinterpret_cast<const char*>(buffer.head()), buffer.size());
    buffer.consume(buffer.size());
  }
}

// One watched stream on a fresh io_context, with its peer.
class Watched : public testing::Test {
 protected:
  Watched() { stream.watch(); }

  asio::io_context ctx{1};
  std::pair<tcp::socket, tcp::socket> sockets = connected_pair(ctx);
  tcp::socket& peer = sockets.second;
  Stream stream{std::move(sockets.first)};
};

TEST_F(Watched, FinThatCameWithTheLastBytesEndsTheRead) {
  ASSERT_TRUE(stream.watched());
  // Both in the socket before the first read: a short read takes the bytes, and the FIN
  // raises no new event afterwards. An edge-triggered wait here would never end.
  asio::write(peer, asio::buffer(std::string("hello")));
  peer.shutdown(tcp::socket::shutdown_send);
  run_for(ctx, [&]() -> awaitable<void> {
    auto [got, ec] = co_await read_all(stream);
    EXPECT_EQ(got, "hello");
    EXPECT_EQ(ec, asio::error::eof);
  }());
}

TEST_F(Watched, ResetThatCameWithTheLastBytesEndsTheRead) {
  // A zero linger makes the peer's close an RST, not a FIN.
  asio::write(peer, asio::buffer(std::string("bye")));
  std::this_thread::sleep_for(20ms);
  peer.set_option(asio::socket_base::linger(true, 0));
  peer.close();
  run_for(ctx, [&]() -> awaitable<void> {
    auto [got, ec] = co_await read_all(stream);
    // Linux delivers the bytes that arrived before the RST, or drops them with the reset;
    // either way the read must end with an error, not wait.
    EXPECT_TRUE(got == "bye" || got.empty()) << got;
    EXPECT_TRUE(ec == asio::error::connection_reset || ec == asio::error::eof) << ec.message();
  }());
}

TEST_F(Watched, DataAndFinArrivingTogetherWhileWaitingAreBothSeen) {
  asio::steady_timer later(ctx);
  run_for(ctx, [&]() -> awaitable<void> {
    later.expires_after(30ms);
    // One arrival event for both: after the short read of "late", only a level-triggered
    // set still reports the FIN.
    later.async_wait([&](error_code) {
      asio::write(peer, asio::buffer(std::string("late")));
      peer.shutdown(tcp::socket::shutdown_send);
    });
    auto [got, ec] = co_await read_all(stream);
    EXPECT_EQ(got, "late");
    EXPECT_EQ(ec, asio::error::eof);
  }());
}

TEST_F(Watched, WriteWaitsForRoomAndDeliversEverything) {
  // Far more than the socket buffers hold: the write must wait for the peer to drain them.
  std::string payload(8 << 20, '\0');
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>('a' + i % 23);
  std::string received;
  run_for(ctx, [&]() -> awaitable<void> {
    auto drain = [&]() -> awaitable<void> {
      std::string chunk(64 * 1024, '\0');
      for (;;) {
        auto [ec, n] = co_await peer.async_read_some(asio::buffer(chunk), use_nothrow);
        if (ec) co_return;
        received.append(chunk, 0, n);
      }
    };
    auto writer = [&]() -> awaitable<void> {
      auto [ec, n] = co_await stream.write(asio::buffer(payload));
      EXPECT_FALSE(ec) << ec.message();
      EXPECT_EQ(n, payload.size());
      stream.close();
    };
    co_await (writer() && drain());
  }(), 10000ms);
  EXPECT_EQ(received.size(), payload.size());
  EXPECT_TRUE(received == payload);
}

TEST_F(Watched, CancelledThroughOrWhileWaiting) {
  asio::steady_timer timer(ctx);
  run_for(ctx, [&]() -> awaitable<void> {
    Buffer buffer;
    error_code ec;
    size_t n = 0;
    EXPECT_FALSE(stream.read_now(buffer, 16, true, ec, n));  // nothing sent: drained
    timer.expires_after(20ms);
    auto first = co_await (stream.readable() || timer.async_wait(use_nothrow));
    EXPECT_EQ(first.index(), 1u);  // the timer won, and the wait was cancelled, not left behind
    // The watch is usable again afterwards.
    asio::write(peer, asio::buffer(std::string("x")));
    auto [wec] = co_await stream.readable();
    EXPECT_FALSE(wec);
    EXPECT_TRUE(stream.read_now(buffer, 16, true, ec, n));
    EXPECT_EQ(n, 1u);
  }());
}

// A wait that may park completes with kParkRequest once it has waited a whole tick; one
// that may not park waits on.
TEST_F(Watched, ALongParkableWaitIsAskedToPark) {
  const auto start = std::chrono::steady_clock::now();
  run_for(ctx, [&]() -> awaitable<void> {
    auto [ec] = co_await stream.readable(/*may_park=*/true);
    EXPECT_EQ(ec, Readiness::kParkRequest);
  }(), 4000ms);
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, Readiness::kParkTick);
  EXPECT_LT(waited, 20 * Readiness::kParkTick);  // generous: the machine may be busy

  asio::io_context& c = ctx;
  c.restart();  // a wait that may not park is never asked to
  run_for(ctx, [&]() -> awaitable<void> {
    asio::steady_timer timer(c, 10 * Readiness::kParkTick);
    auto first = co_await (stream.readable(/*may_park=*/false) || timer.async_wait(use_nothrow));
    EXPECT_EQ(first.index(), 1u) << "a wait that may not park ended before the timer";
  }(), 4000ms);
}

struct Woken {
  int calls = 0;
  error_code ec;
  static void wake(const std::shared_ptr<void>& target, error_code ec) {
    auto* w = static_cast<Woken*>(target.get());
    ++w->calls;
    w->ec = ec;
  }
};

// A parked reader is woken once, with no error, by the next arrival; the bytes are still
// there for the reader that starts again.
TEST_F(Watched, ASleeperIsWokenByTheNextArrival) {
  auto woken = std::make_shared<Woken>();
  stream.sleep({woken, &Woken::wake});
  ctx.run_for(50ms);
  EXPECT_EQ(woken->calls, 0) << "woken with nothing to read";
  asio::write(peer, asio::buffer(std::string("ping")));
  ctx.restart();
  for (int i = 0; i < 100 && woken->calls == 0; ++i) ctx.run_for(10ms);
  EXPECT_EQ(woken->calls, 1);
  EXPECT_FALSE(woken->ec);
  ctx.restart();
  run_for(ctx, [&]() -> awaitable<void> {
    Buffer buffer;
    error_code ec;
    size_t n = 0;
    while (!stream.read_now(buffer, 16, true, ec, n)) std::tie(ec) = co_await stream.readable();
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(buffer.head()), buffer.size()), "ping");
  }());
  EXPECT_EQ(woken->calls, 1);
}

// A parked reader whose stream closes is told so (operation_aborted), after the close, and
// only then lets go of its target; take_sleeper() takes one back unwoken.
TEST_F(Watched, ASleeperOfAClosedStreamIsAbortedAndReleased) {
  auto woken = std::make_shared<Woken>();
  stream.sleep({woken, &Woken::wake});
  EXPECT_EQ(woken.use_count(), 2);
  stream.close();
  EXPECT_EQ(woken->calls, 0) << "woken inside close()";
  ctx.restart();
  ctx.run_for(50ms);
  EXPECT_EQ(woken->calls, 1);
  EXPECT_EQ(woken->ec, asio::error::operation_aborted);
  EXPECT_EQ(woken.use_count(), 1);
}

TEST_F(Watched, ATakenSleeperIsNotWoken) {
  auto woken = std::make_shared<Woken>();
  stream.sleep({woken, &Woken::wake});
  Readiness::Sleeper back = stream.take_sleeper();
  EXPECT_EQ(back.target, woken);
  asio::write(peer, asio::buffer(std::string("x")));
  ctx.restart();
  ctx.run_for(100ms);
  EXPECT_EQ(woken->calls, 0);
}

TEST(Readiness, SocketClosedWhileItsEventIsHarvestedIsSkipped) {
  asio::io_context ctx(1);
  auto [mine_a, peer_a] = connected_pair(ctx);
  auto [mine_b, peer_b] = connected_pair(ctx);
  auto a = std::make_unique<Stream>(std::move(mine_a));
  auto b = std::make_unique<Stream>(std::move(mine_b));
  a->watch();
  b->watch();
  int finished = 0;
  // Whichever wakes first closes the other one, whose event is queued in the same batch.
  auto reader = [&](std::unique_ptr<Stream>& self, std::unique_ptr<Stream>& other) -> awaitable<void> {
    Buffer buffer;
    error_code ec;
    size_t n = 0;
    EXPECT_FALSE(self->read_now(buffer, 16, true, ec, n));
    auto [wec] = co_await self->readable();
    if (!wec) other->close();
    if (++finished == 2) ctx.stop();
  };
  asio::co_spawn(ctx, reader(a, b), asio::detached);
  asio::co_spawn(ctx, reader(b, a), asio::detached);
  ctx.poll();  // both wait now
  asio::write(peer_a, asio::buffer(std::string("1")));
  asio::write(peer_b, asio::buffer(std::string("2")));
  ctx.run_for(500ms);
  // One reader woke and closed the other, whose wait then ended with operation_aborted;
  // the closed socket's event, queued with the first, found its operation retired and
  // woke nobody.
  EXPECT_EQ(finished, 2);
}

TEST(Readiness, MoreReadySocketsThanOneWaitTakesAreAllSeen) {
  // Asio's reactor takes 128 events per epoll_wait. Data for more sockets, all arrived
  // before the wait, must still reach every reader: level-triggered, the rest are reported
  // by the next wait (edge-triggered, they would never be reported again).
  constexpr int kSockets = 150;
  asio::io_context ctx(1);
  std::vector<tcp::socket> peers;
  std::vector<std::unique_ptr<Stream>> streams;
  for (int i = 0; i < kSockets; ++i) {
    auto [mine, peer] = connected_pair(ctx);
    streams.push_back(std::make_unique<Stream>(std::move(mine)));
    streams.back()->watch();
    peers.push_back(std::move(peer));
  }
  int woken = 0;
  auto reader = [&](Stream& stream) -> awaitable<void> {
    Buffer buffer;
    error_code ec;
    size_t n = 0;
    while (!stream.read_now(buffer, 16, false, ec, n)) {
      std::tie(ec) = co_await stream.readable();
      if (ec) co_return;
    }
    EXPECT_EQ(n, 1u);
    if (++woken == kSockets) ctx.stop();
  };
  for (auto& stream : streams) asio::co_spawn(ctx, reader(*stream), asio::detached);
  ctx.poll();  // every reader waits now
  ASSERT_EQ(woken, 0);
  for (auto& peer : peers) asio::write(peer, asio::buffer(std::string("x")));
  ctx.run_for(3000ms);
  EXPECT_EQ(woken, kSockets);
}

}  // namespace
}  // namespace blueshift::proxy
