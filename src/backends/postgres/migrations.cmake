# Embeds migrations/NNNN_name.sql into beacon_backend_postgres, as
# src/backends/sqlite/migrations.cmake does for SQLite: at build time
# embed_migrations.cmake turns the files into a generated
# embedded_migrations.cpp (see migrations.hpp), regenerated whenever a .sql
# file changes. Included from src/CMakeLists.txt right after the module.
file(GLOB _beacon_pg_migrations CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/migrations/*.sql)
list(SORT _beacon_pg_migrations)
string(REPLACE ";" "|" _beacon_pg_migration_args "${_beacon_pg_migrations}")
set(_beacon_pg_embedded ${CMAKE_CURRENT_BINARY_DIR}/backends/postgres/embedded_migrations.cpp)
add_custom_command(
  OUTPUT ${_beacon_pg_embedded}
  COMMAND ${CMAKE_COMMAND} -DOUTPUT=${_beacon_pg_embedded} -DINPUTS=${_beacon_pg_migration_args}
          -P ${CMAKE_CURRENT_LIST_DIR}/embed_migrations.cmake
  DEPENDS ${_beacon_pg_migrations} ${CMAKE_CURRENT_LIST_DIR}/embed_migrations.cmake
  COMMENT "Embedding PostgreSQL migrations"
  VERBATIM)
target_sources(beacon_backend_postgres PRIVATE ${_beacon_pg_embedded})
