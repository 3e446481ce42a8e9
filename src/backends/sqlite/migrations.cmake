# Embeds migrations/NNNN_name.sql into beacon_backend_sqlite: at build time
# embed_migrations.cmake turns the files into a generated embedded_migrations.cpp
# (see migrations.hpp), regenerated whenever a .sql file changes. Included from
# src/CMakeLists.txt right after the module is declared.
file(GLOB _beacon_sqlite_migrations CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/migrations/*.sql)
list(SORT _beacon_sqlite_migrations)
string(REPLACE ";" "|" _beacon_sqlite_migration_args "${_beacon_sqlite_migrations}")
set(_beacon_sqlite_embedded ${CMAKE_CURRENT_BINARY_DIR}/backends/sqlite/embedded_migrations.cpp)
add_custom_command(
  OUTPUT ${_beacon_sqlite_embedded}
  COMMAND ${CMAKE_COMMAND} -DOUTPUT=${_beacon_sqlite_embedded} -DINPUTS=${_beacon_sqlite_migration_args}
          -P ${CMAKE_CURRENT_LIST_DIR}/embed_migrations.cmake
  DEPENDS ${_beacon_sqlite_migrations} ${CMAKE_CURRENT_LIST_DIR}/embed_migrations.cmake
  COMMENT "Embedding SQLite migrations"
  VERBATIM)
target_sources(beacon_backend_sqlite PRIVATE ${_beacon_sqlite_embedded})
