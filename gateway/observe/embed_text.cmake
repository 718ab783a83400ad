# cmake -DIN=file -DOUT=file.cpp -DFUNC=name -P embed_text.cmake
# Writes a C++ file defining `const char* edgegw::gateway::FUNC()` that
# returns IN's text (a raw string literal; IN must not contain ")edgegw_embed").
file(READ "${IN}" text)
string(FIND "${text}" ")edgegw_embed" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${IN} contains the raw string delimiter")
endif()
file(WRITE "${OUT}.tmp" "// Generated from ${IN} by embed_text.cmake; do not edit.\n"
  "namespace edgegw::gateway {\n"
  "const char* ${FUNC}() {\n  return R\"edgegw_embed(${text})edgegw_embed\";\n}\n"
  "}  // namespace edgegw::gateway\n")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
