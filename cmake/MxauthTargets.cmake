# One folder under src/ is one library. Its DEPS list is the architecture:
# a new arrow between modules shows up as a one-line diff here.

add_library(mxauth_build_flags INTERFACE)
add_library(mxauth::build_flags ALIAS mxauth_build_flags)
target_compile_features(mxauth_build_flags INTERFACE cxx_std_20)
target_compile_options(mxauth_build_flags INTERFACE -Wall -Wextra -Wpedantic -Wshadow
  -Wnon-virtual-dtor -Wcast-align -Woverloaded-virtual -Wimplicit-fallthrough)
if(MXAUTH_WERROR)
  target_compile_options(mxauth_build_flags INTERFACE -Werror)
endif()
# Boost.Asio: no deprecated names; we use C++20 coroutines.
target_compile_definitions(mxauth_build_flags INTERFACE BOOST_ASIO_NO_DEPRECATED)

# Test code is compiled without optimisation: it is most of the build, and
# its speed does not matter. The code under test keeps the preset's flags
# (-O2 in release, -O1 under the sanitizers). Test executables are also
# built in unity batches; TEST_SUPPORT libraries are not, so that their
# files stay in compile_commands.json for clang-tidy (tools/lint.sh).
function(mxauth_test_code_flags target)
  target_compile_options(${target} PRIVATE -O0)
endfunction()
function(mxauth_test_executable_flags target)
  mxauth_test_code_flags(${target})
  set_target_properties(${target} PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE 6)
  # Only the *_test.cpp files go into the batches: helpers beside them
  # (fixtures, support code) keep their own entry in the compile database,
  # so that clang-tidy checks them.
  get_target_property(sources ${target} SOURCES)
  foreach(source IN LISTS sources)
    if(NOT source MATCHES "_test\\.cpp$")
      set_source_files_properties(${source} PROPERTIES SKIP_UNITY_BUILD_INCLUSION ON)
    endif()
  endforeach()
endfunction()

# mxauth_add_library(name SOURCES ... DEPS ... [PRIVATE_DEPS ...] [TEST_SUPPORT] [NO_UNITY])
function(mxauth_add_library name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "TEST_SUPPORT;NO_UNITY" "" "SOURCES;DEPS;PRIVATE_DEPS")
  add_library(mxauth_${name} STATIC ${arg_SOURCES})
  add_library(mxauth::${name} ALIAS mxauth_${name})
  target_include_directories(mxauth_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(mxauth_${name} PUBLIC ${arg_DEPS} PRIVATE mxauth::build_flags ${arg_PRIVATE_DEPS})
  if(arg_TEST_SUPPORT)
    mxauth_test_code_flags(mxauth_${name})
  elseif(MXAUTH_UNITY_LIBRARIES AND NOT arg_NO_UNITY)
    # The sanitizer build compiles the libraries in batches: most of a
    # file's compile time is the standard and Boost headers, parsed once per
    # batch instead of once per file. The release build keeps one object per
    # file: its compile database is what clang-tidy reads, and ccache stays
    # fine-grained while developing. Files in one batch share a translation
    # unit, so their anonymous namespaces must not define the same name.
    set_target_properties(mxauth_${name} PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE 8)
  endif()
endfunction()

# mxauth_add_test(name SOURCES ... DEPS ... [LABELS ...])
# Tests live beside the code they test and run under CTest.
function(mxauth_add_test name)
  if(NOT MXAUTH_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "SOURCES;DEPS;LABELS")
  add_executable(${name} ${arg_SOURCES})
  target_link_libraries(${name} PRIVATE ${arg_DEPS} GTest::gtest GTest::gmock GTest::gtest_main mxauth::build_flags)
  mxauth_test_executable_flags(${name})
  if(NOT arg_LABELS)
    set(arg_LABELS unit)
  endif()
  gtest_discover_tests(${name} PROPERTIES LABELS "${arg_LABELS}" DISCOVERY_TIMEOUT 60)
endfunction()

# mxauth_embed_files(target OUTPUT file.cpp NAMESPACE ns FUNCTION fn FILES ...)
# Compiles text files (migrations, templates, CSS) into the binary as a
# sorted table of {name, contents}: one binary, no share/ tree.
function(mxauth_embed_files)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "OUTPUT;NAMESPACE;FUNCTION;BASE" "FILES")
  add_custom_command(
    OUTPUT ${arg_OUTPUT}
    COMMAND ${CMAKE_COMMAND} -DOUTPUT=${arg_OUTPUT} -DNAMESPACE=${arg_NAMESPACE}
            -DFUNCTION=${arg_FUNCTION} -DBASE=${arg_BASE} "-DFILES=${arg_FILES}"
            -P ${PROJECT_SOURCE_DIR}/cmake/EmbedFiles.cmake
    DEPENDS ${arg_FILES} ${PROJECT_SOURCE_DIR}/cmake/EmbedFiles.cmake
    VERBATIM)
endfunction()
