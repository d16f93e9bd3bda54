# System packages only (scripts/setup.sh installs them). Each block finds one dependency.
find_package(Threads REQUIRED)

# Boost.Asio is header-only: only the native runtime uses it.
find_package(Boost 1.74 REQUIRED)

if(RESPROXY_WITH_TESTS)
  find_package(GTest REQUIRED)
endif()
if(RESPROXY_WITH_BENCH)
  find_package(benchmark REQUIRED)
endif()

if(RESPROXY_WITH_NS3)
  # Debian's libns3-dev 3.37, the "plain" route (see docs/ns3.md): library files, no .pc quirks.
  find_path(NS3_INCLUDE_DIR ns3/simulator.h REQUIRED)
  add_library(ns3deps INTERFACE)
  foreach(m core network internet point-to-point csma applications)
    find_library(NS3_LIB_${m} NAMES ns3-${m} REQUIRED)
    target_link_libraries(ns3deps INTERFACE ${NS3_LIB_${m}})
  endforeach()
  # Debian's libns3 is compiled with NS3_LOG_ENABLE: match it (class layout + our NS_LOG_*).
  target_compile_definitions(ns3deps INTERFACE NS3_LOG_ENABLE)
  # Debian's g++ links with --as-needed: keep every ns-3 module we list.
  target_link_options(ns3deps INTERFACE "LINKER:--no-as-needed")
endif()
