// blueshift: a PostgreSQL-wire proxy in front of Amazon Redshift.
// Usage: blueshift [--config FILE] [--listen HOST:PORT] [--upstream HOST:PORT]
//                  [--io-threads N] [--log-level LEVEL] [--check-config]
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "proxy/config.h"
#include "proxy/server.h"

namespace {

void usage() {
  std::fprintf(stderr,
               "usage: blueshift [--config FILE] [--listen HOST:PORT] [--upstream HOST:PORT]\n"
               "                 [--io-threads N] [--log-level LEVEL] [--check-config]\n");
}

}  // namespace

int main(int argc, char** argv) {
  using namespace blueshift::proxy;
  std::string config_path;
  Overrides flags;
  bool check_only = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](const char* name) -> std::string {
      const std::string prefix = std::string(name) + "=";
      if (arg.rfind(prefix, 0) == 0) return arg.substr(prefix.size());
      if (i + 1 >= argc) {
        std::fprintf(stderr, "blueshift: %s needs a value\n", name);
        std::exit(2);
      }
      return argv[++i];
    };
    auto is = [&](const char* name) { return arg == name || arg.rfind(std::string(name) + "=", 0) == 0; };
    if (is("--config")) config_path = value("--config");
    else if (is("--listen")) flags.listen = value("--listen");
    else if (is("--upstream")) flags.upstream = value("--upstream");
    else if (is("--log-level")) flags.log_level = value("--log-level");
    else if (is("--io-threads")) flags.io_threads = std::atoi(value("--io-threads").c_str());
    else if (arg == "--check-config") check_only = true;
    else if (arg == "--help" || arg == "-h") {
      usage();
      return 0;
    } else {
      std::fprintf(stderr, "blueshift: unknown argument '%s'\n", arg.c_str());
      usage();
      return 2;
    }
  }

  Config config;
  try {
    config = load_config(config_path);
    apply_overrides(flags, config);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "blueshift: %s\n", e.what());
    return 2;
  }
  const auto problems = validate(config);
  for (const auto& p : problems) std::fprintf(stderr, "blueshift: invalid configuration: %s\n", p.c_str());
  if (!problems.empty()) return 2;

  if (!config.log_file.empty()) {
    try {
      spdlog::set_default_logger(spdlog::basic_logger_mt("blueshift", config.log_file));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "blueshift: log.file: %s\n", e.what());
      return 2;
    }
  }
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  spdlog::flush_on(spdlog::level::info);

  try {
    auto shared = std::make_shared<const Config>(std::move(config));
    Server server(shared);  // loads TLS material and policies: errors surface here
    if (check_only) {
      std::printf("configuration OK\n");
      return 0;
    }
    return server.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "blueshift: %s\n", e.what());
    return 2;
  }
}
