// The listener over loopback TCP: every accepted client is counted, one over
// max_unauthenticated_connections (sockets that never send a startup packet) is counted as
// rejected (its Session then refuses it in the protocol), and the active gauge comes back
// down as clients leave.
#include "proxy/listener.h"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <thread>

namespace blueshift::proxy {
namespace {

using namespace std::chrono_literals;

// Polls until done() holds or 5 s pass; the listener's threads update the metrics.
bool eventually(const std::function<bool()>& done) {
  const auto end = std::chrono::steady_clock::now() + 5s;
  while (!done()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

TEST(Listener, CountsClientsAgainstTheUnauthenticatedLimit) {
  auto config = std::make_shared<Config>();
  config->listen = Endpoint{"127.0.0.1", 0};
  config->pin_io_threads = false;
  config->max_unauthenticated_connections = 2;
  ServerContext context;
  context.config = config;
  Listener listener(context, 2);
  ASSERT_TRUE(listener.open());
  std::thread runner([&] { listener.run(); });

  const ProxyMetrics& m = context.metrics;
  asio::io_context clients;
  std::vector<tcp::socket> open;
  for (int i = 1; i <= 3; ++i) {
    open.emplace_back(clients);
    open.back().connect(listener.local_endpoint());
    EXPECT_TRUE(eventually([&] { return m.connections_total.value() == uint64_t(i); })) << "client " << i;
  }
  EXPECT_EQ(m.connections_active.value(), 3);
  EXPECT_EQ(m.connections_rejected.value(), 1u) << "only the third client is over the limit of 2";

  open.clear();  // the clients leave; their sessions end and give their places back
  EXPECT_TRUE(eventually([&] { return m.connections_active.value() == 0; })) << m.connections_active.value();
  open.emplace_back(clients);
  open.back().connect(listener.local_endpoint());
  EXPECT_TRUE(eventually([&] { return m.connections_total.value() == 4; }));
  EXPECT_EQ(m.connections_rejected.value(), 1u) << "a place freed is a place taken again";

  asio::post(listener.main_loop(), [&] { listener.stop(); });
  runner.join();
}

}  // namespace
}  // namespace blueshift::proxy
