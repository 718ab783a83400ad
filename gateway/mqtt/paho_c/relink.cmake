# gateway/mqtt/paho_c/relink.cmake — the build steps of edgegw's private Paho C
# (CMakeLists.txt beside this file), run with `cmake -P`:
#
#   -DMODE=objects  ARCHIVE= MEMBERS= DROP= OUT_DIR= EXPORTS= PROVIDED= AR= OBJDUMP= OBJCOPY=
#       Extracts Debian's libpaho-mqtt3as.a into OUT_DIR, deletes the DROP
#       members (Heap.c.o, StackTrace.c.o), and gives every exported function
#       a default-visibility symbol again (below).
#   -DMODE=exports  LIBRARY= EXPORTS= NM= [OBJDUMP= SONAME=]
#       Fails unless LIBRARY's dynamic symbol table defines exactly EXPORTS
#       (and, with SONAME, unless that is its SONAME).
#
# Every step fails the build with the reason; nothing falls back.
cmake_minimum_required(VERSION 3.25)

function(fail)  # lists in the message come out separated by spaces
  list(JOIN ARGN " " msg)
  message(FATAL_ERROR "paho_c: ${msg}")
endfunction()

function(run out_var)
  execute_process(COMMAND ${ARGN} OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    string(JOIN " " cmd ${ARGN})
    fail("`${cmd}` failed (${rc}): ${err}")
  endif()
  set(${out_var} "${out}" PARENT_SCOPE)
endfunction()

# exports.txt: one name a line, # comments.
function(read_exports out_var)
  file(STRINGS "${EXPORTS}" lines REGEX "^[A-Za-z_]")
  list(SORT lines)
  set(${out_var} "${lines}" PARENT_SCOPE)
endfunction()

# Every object in the archive was compiled with hidden visibility; the
# exported functions were made visible by the shared library's link alone.
# A linker cannot export a hidden symbol (a version script neither), and
# objcopy cannot change a symbol's visibility. But it can add a symbol, and
# an added one is visible: so each exported function's hidden symbol is
# renamed (edgegw_hidden_NAME; calls inside its own object keep using it) and
# NAME is added again, global and visible, at the same address.
function(make_visible object exports provided found_var)
  run(table ${OBJDUMP} -t ${object})
  string(REGEX MATCHALL "[^\n]+" lines "${table}")
  set(args)
  set(found ${${found_var}})
  foreach(line IN LISTS lines)
    if(NOT line MATCHES "^([0-9a-f]+) g +F ([^ \t]+)\t[0-9a-f]+ \\.hidden ([A-Za-z_0-9]+)$")
      continue()
    endif()
    set(name ${CMAKE_MATCH_3})
    if(NOT name IN_LIST exports)
      continue()
    endif()
    if(name IN_LIST provided)
      fail("${object} defines ${name}, which no_heap_tracking.c replaces: is this a build without heap tracking already?"
           "Configure with -DEDGEGW_PAHO_C=system.")
    endif()
    if(name IN_LIST found)
      fail("${name} is defined twice in the archive")
    endif()
    list(APPEND found ${name})
    list(APPEND args --redefine-sym "${name}=edgegw_hidden_${name}"
                     --add-symbol "${name}=${CMAKE_MATCH_2}:0x${CMAKE_MATCH_1},global,function")
  endforeach()
  if(args)
    run(ignored ${OBJCOPY} ${args} ${object})
  endif()
  set(${found_var} ${found} PARENT_SCOPE)
endfunction()

function(make_objects)
  file(REMOVE_RECURSE "${OUT_DIR}")
  file(MAKE_DIRECTORY "${OUT_DIR}")
  execute_process(COMMAND ${AR} x "${ARCHIVE}" WORKING_DIRECTORY "${OUT_DIR}" RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    fail("${AR} x ${ARCHIVE} failed (${rc}): ${err}")
  endif()
  foreach(member IN LISTS DROP)
    if(NOT EXISTS "${OUT_DIR}/${member}")
      fail("${ARCHIVE} has no ${member}")
    endif()
    file(REMOVE "${OUT_DIR}/${member}")
  endforeach()
  read_exports(exports)
  set(found)
  foreach(member IN LISTS MEMBERS)
    if(NOT EXISTS "${OUT_DIR}/${member}")
      fail("${ARCHIVE} has no ${member}")
    endif()
    make_visible("${OUT_DIR}/${member}" "${exports}" "${PROVIDED}" found)
  endforeach()
  list(APPEND found ${PROVIDED})
  list(SORT found)
  if(NOT found STREQUAL exports)
    set(missing ${exports})
    list(REMOVE_ITEM missing ${found})
    fail("no hidden function in ${ARCHIVE} for the export(s) ${missing}")
  endif()
endfunction()

function(check_exports)
  run(table ${NM} -D --defined-only "${LIBRARY}")
  string(REGEX MATCHALL "[^\n]+" lines "${table}")
  set(names)
  foreach(line IN LISTS lines)
    if(line MATCHES "^[0-9a-f]* *[A-Za-z] ([^ ]+)$")
      list(APPEND names ${CMAKE_MATCH_1})
    endif()
  endforeach()
  list(SORT names)
  read_exports(exports)
  if(NOT names STREQUAL exports)
    set(extra ${names})
    list(REMOVE_ITEM extra ${exports})
    set(missing ${exports})
    list(REMOVE_ITEM missing ${names})
    fail("${LIBRARY} exports other functions than ${EXPORTS}: extra [${extra}], missing [${missing}]")
  endif()
  if(SONAME)
    run(headers ${OBJDUMP} -p "${LIBRARY}")
    if(NOT headers MATCHES "\n +SONAME +([^\n]+)\n")
      fail("${LIBRARY} has no SONAME, want ${SONAME}")
    endif()
    if(NOT CMAKE_MATCH_1 STREQUAL "${SONAME}")
      fail("${LIBRARY}: SONAME is '${CMAKE_MATCH_1}', want ${SONAME}")
    endif()
  endif()
endfunction()

if(MODE STREQUAL "objects")
  make_objects()
elseif(MODE STREQUAL "exports")
  check_exports()
else()
  fail("relink.cmake: unknown MODE '${MODE}'")
endif()
