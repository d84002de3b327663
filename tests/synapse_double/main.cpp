// synapse-double: the Synapse double as a process, for the Node end-to-end
// tests. Prints "listening on 127.0.0.1:PORT" once it serves; SIGTERM or
// SIGINT stops it with exit code 0. See README.md.

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdint>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "tests/synapse_double/synapse_double.h"

int main(int argc, char** argv) {
  mxauth::test::SynapseDoubleOptions options;
  std::int64_t cache_ttl_ms = options.introspection_cache_ttl.count();

  CLI::App app{"synapse-double: a stand-in for Synapse's side of the MAS contract, for tests"};
  app.add_option("--server-name", options.server_name, "Synapse's server_name")
      ->capture_default_str();
  app.add_option("--secret", options.secret, "the secret shared with mxauth")->required();
  app.add_option("--mxauth-base", options.mxauth_base,
                 "mxauth's base URL (or later: POST /_double/config)");
  app.add_option("--listen", options.listen, "host:port; port 0 lets the kernel choose")
      ->capture_default_str();
  app.add_option("--existing-user", options.existing_localparts,
                 "a localpart that exists before mxauth runs (repeatable)");
  app.add_option("--exclusive-prefix", options.exclusive_localpart_prefix,
                 "an application service's exclusive localpart prefix");
  app.add_option("--introspection-cache-ms", cache_ttl_ms,
                 "how long introspection answers are reused; 0 turns the cache off")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  options.introspection_cache_ttl = mxauth::Duration(cache_ttl_ms);

  // Block the stop signals before any thread exists, so that every thread
  // inherits the mask and sigwait() below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  try {
    mxauth::test::SynapseDouble synapse(options);
    const std::string host = options.listen.substr(0, options.listen.rfind(':'));
    std::cout << "listening on " << host << ':' << synapse.port() << std::endl;
    int received = 0;
    sigwait(&stop_signals, &received);
  } catch (const std::exception& e) {
    std::cerr << "synapse-double: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
