# The web console (console/, docs/decisions/0011-console-in-the-binary.md):
# `npm ci` into the build tree (again only when the lockfile changes), then
# console/build.cjs bundles it with esbuild into ${BEACON_CONSOLE_DIST}
# (content-hashed names, index.html naming them) and generates the C++ table
# that embeds every file (http/console_assets.hpp), compiled into beacon_http.
# The build fails when npm or the bundle fails.
find_program(BEACON_NODE node REQUIRED)
find_program(BEACON_NPM npm REQUIRED)
set(console_src ${PROJECT_SOURCE_DIR}/console)
set(console_bin ${PROJECT_BINARY_DIR}/console)
set(BEACON_CONSOLE_NODE_MODULES ${console_bin}/node_modules CACHE INTERNAL "")
set(BEACON_CONSOLE_DIST ${console_bin}/dist CACHE INTERNAL "")
set(console_stamp ${console_bin}/node_modules/.beacon-npm-ci.stamp)

add_custom_command(OUTPUT ${console_stamp}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${console_bin}
  COMMAND ${CMAKE_COMMAND} -E copy_if_different ${console_src}/package.json ${console_src}/package-lock.json ${console_bin}
  COMMAND ${BEACON_NPM} ci --no-audit --no-fund --loglevel=error
  COMMAND ${CMAKE_COMMAND} -E touch ${console_stamp}
  WORKING_DIRECTORY ${console_bin}
  DEPENDS ${console_src}/package.json ${console_src}/package-lock.json
  COMMENT "console: npm ci (package-lock.json)"
  VERBATIM)

file(GLOB_RECURSE console_inputs CONFIGURE_DEPENDS ${console_src}/src/*)
set(console_cpp ${console_bin}/console_assets.cpp)
add_custom_command(OUTPUT ${console_cpp}
  COMMAND ${BEACON_NODE} ${console_src}/build.cjs --node-modules ${BEACON_CONSOLE_NODE_MODULES}
    --out ${BEACON_CONSOLE_DIST} --cpp ${console_cpp}
  DEPENDS ${console_stamp} ${console_src}/build.cjs ${console_inputs}
  COMMENT "console: esbuild bundle and embedded table"
  VERBATIM)
target_sources(beacon_http PRIVATE ${console_cpp})
