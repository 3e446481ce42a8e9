# Project-wide compile options, applied to our own targets only (never to
# third-party code): warnings as errors, and the sanitizers when asked for.
add_library(beacon_options INTERFACE)
# -Wno-restrict: g++ 12 at -O2/-O3 reports false overlaps inside libstdc++'s
# std::string concatenation (GCC bug 105329), which -Werror would turn into
# release-build failures in correct code.
target_compile_options(beacon_options INTERFACE -Wall -Wextra -Wpedantic -Werror
  -Wno-missing-field-initializers $<$<CXX_COMPILER_ID:GNU>:-Wno-restrict>)
target_compile_definitions(beacon_options INTERFACE
  BOOST_ASIO_NO_DEPRECATED BOOST_BEAST_USE_STD_STRING_VIEW BOOST_JSON_NO_LIB BOOST_URL_NO_LIB)
# UBSan's vptr check is left out: it tests that a vtable is readable by
# writing it into a pipe(), so in a process that has run out of file
# descriptors (a state the HTTP tests create on purpose) every check fails,
# and with -fno-sanitize-recover the server aborts on a false report.
if(BEACON_SANITIZE)
  target_compile_options(beacon_options INTERFACE
    -fsanitize=address,undefined -fno-sanitize=vptr -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_link_options(beacon_options INTERFACE -fsanitize=address,undefined)
endif()
# ThreadSanitizer (the tsan preset, tools/run-tsan.sh): data races in the
# concurrent parts. -O1 keeps the instrumented tests quick enough for CI.
if(BEACON_TSAN)
  target_compile_options(beacon_options INTERFACE -fsanitize=thread -fno-omit-frame-pointer -O1)
  target_link_options(beacon_options INTERFACE -fsanitize=thread)
endif()
# libFuzzer (the fuzz preset, clang 14): every object is instrumented for
# coverage (fuzzer-no-link) and checked by ASan + UBSan; only the harnesses
# of fuzz/ link libFuzzer's main. -O1, as libFuzzer's documentation advises.
if(BEACON_FUZZ)
  target_compile_options(beacon_options INTERFACE -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize=vptr
    -fno-sanitize-recover=all -fno-omit-frame-pointer -O1)
  target_link_options(beacon_options INTERFACE -fsanitize=address,undefined)
endif()

# beacon_module(NAME <name> DEPS <targets...>)
# Declares the library for src/<dir> from every .cpp in that folder. One target
# per folder, and DEPS mirrors the allowed dependency arrows (docs/ARCHITECTURE.md);
# tools/check-layering.py checks the includes themselves.
function(beacon_module)
  cmake_parse_arguments(M "" "NAME;DIR" "DEPS" ${ARGN})
  if(NOT M_DIR)
    set(M_DIR ${CMAKE_CURRENT_SOURCE_DIR})
  endif()
  file(GLOB srcs CONFIGURE_DEPENDS ${M_DIR}/*.cpp)
  if(NOT srcs)
    # Header-only so far.
    add_library(beacon_${M_NAME} INTERFACE)
    target_include_directories(beacon_${M_NAME} INTERFACE ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(beacon_${M_NAME} INTERFACE beacon_options ${M_DEPS})
    return()
  endif()
  add_library(beacon_${M_NAME} STATIC ${srcs})
  target_include_directories(beacon_${M_NAME} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(beacon_${M_NAME} PUBLIC beacon_options ${M_DEPS})
endfunction()

# beacon_test(NAME <name> DIR <dir> DEPS <targets...> LABELS <labels...>)
# One GoogleTest binary from every .cpp in <dir>, registered with CTest.
function(beacon_test)
  cmake_parse_arguments(T "" "NAME;DIR" "DEPS;LABELS" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS ${T_DIR}/*.cpp)
  if(NOT srcs)
    return()
  endif()
  add_executable(${T_NAME} ${srcs})
  target_link_libraries(${T_NAME} PRIVATE beacon_options ${T_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  # Tests that read files of the checkout (example configs, tools) find them
  # here, not through __FILE__ (which a compiler cache may make relative).
  target_compile_definitions(${T_NAME} PRIVATE BEACON_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  include(GoogleTest)
  gtest_discover_tests(${T_NAME} PROPERTIES LABELS "${T_LABELS}" DISCOVERY_TIMEOUT 60)
endfunction()

# beacon_embed_migrations(ADAPTER <sqlite|postgres>)
# Embeds src/backends/<adapter>/migrations/NNNN_name.sql into
# beacon_backend_<adapter>: at build time cmake/embed_migrations.cmake turns the
# files into a generated embedded_migrations.cpp defining embedded_migrations()
# (see the adapter's migrations.hpp), regenerated whenever a .sql file changes.
function(beacon_embed_migrations)
  cmake_parse_arguments(E "" "ADAPTER" "" ${ARGN})
  set(dir ${PROJECT_SOURCE_DIR}/src/backends/${E_ADAPTER}/migrations)
  file(GLOB sql CONFIGURE_DEPENDS ${dir}/*.sql)
  list(SORT sql)
  string(REPLACE ";" "|" args "${sql}")
  set(out ${PROJECT_BINARY_DIR}/src/backends/${E_ADAPTER}/embedded_migrations.cpp)
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DOUTPUT=${out} -DINPUTS=${args} -DADAPTER=${E_ADAPTER}
            -P ${PROJECT_SOURCE_DIR}/cmake/embed_migrations.cmake
    DEPENDS ${sql} ${PROJECT_SOURCE_DIR}/cmake/embed_migrations.cmake
    COMMENT "Embedding ${E_ADAPTER} migrations"
    VERBATIM)
  target_sources(beacon_backend_${E_ADAPTER} PRIVATE ${out})
endfunction()

# beacon_embed_file(TARGET <target> INPUT <file> HEADER <dir/name.hpp> NAMESPACE <a::b> FUNCTION <name> [JSON])
# Compiles INPUT into TARGET: at build time cmake/embed_file.cmake turns it into
# a generated .cpp defining the function that HEADER declares, which returns
# the file's bytes; regenerated whenever INPUT changes. JSON: fail the build
# when INPUT is not valid JSON.
function(beacon_embed_file)
  cmake_parse_arguments(E "JSON" "TARGET;INPUT;HEADER;NAMESPACE;FUNCTION" "" ${ARGN})
  set(out ${CMAKE_CURRENT_BINARY_DIR}/embedded/${E_FUNCTION}.cpp)
  set(json OFF)
  if(E_JSON)
    set(json ON)
  endif()
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DINPUT=${E_INPUT} -DOUTPUT=${out} -DHEADER=${E_HEADER} -DNAMESPACE=${E_NAMESPACE}
            -DFUNCTION=${E_FUNCTION} -DJSON=${json} -P ${PROJECT_SOURCE_DIR}/cmake/embed_file.cmake
    DEPENDS ${E_INPUT} ${PROJECT_SOURCE_DIR}/cmake/embed_file.cmake
    COMMENT "Embedding ${E_INPUT}"
    VERBATIM)
  target_sources(${E_TARGET} PRIVATE ${out})
endfunction()
