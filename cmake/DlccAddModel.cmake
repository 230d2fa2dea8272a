# dlcc_add_model(): compile an ONNX model to a C library at build time.
#
#   dlcc_add_model(TARGET <target> MODEL <file.onnx>
#                  [NAME <c-name>]                 # prefix of the C API; default: <target>
#                  [SHAPES <input>=<d>,<d>... ...]  # bind symbolic dims: --shape, once each
#                  [WEIGHTS embed|file]            # default: embed
#                  [OPTIONS <dlcc flag>...]        # passed to dlcc as they are, e.g. -v
#                  [DEPENDS <file>...])            # more inputs, e.g. external-data files
#
# At build time runs `dlcc <model> -o <dir>/<name>.c --name <name> --weights=...` into
# <dir> = ${CMAKE_CURRENT_BINARY_DIR}/dlcc_<target>, then builds <dir>/<name>.c into the
# STATIC library <target> (C99, links m). Link the library and include "<name>.h":
#
#   dlcc_add_model(TARGET net MODEL net.onnx SHAPES input=1,3,224,224)
#   add_executable(app main.c)
#   target_link_libraries(app PRIVATE net)   # main.c: #include "net.h", net_run(...)
#
# The model is recompiled when the model file, a DEPENDS file or dlcc itself changes.
# With WEIGHTS file, dlcc also writes <dir>/<name>.weights, which the program loads with
# <name>_load_weights(path) before <name>_run. Its path is in the target property
# DLCC_WEIGHTS_FILE and in the variable <target>_WEIGHTS_FILE (set in the caller's scope),
# e.g. target_compile_definitions(app PRIVATE
#          NET_WEIGHTS="$<TARGET_PROPERTY:net,DLCC_WEIGHTS_FILE>").
# The target also carries DLCC_NAME, DLCC_SOURCE and DLCC_HEADER (the generated files).
#
# Which dlcc runs: ${DLCC_EXECUTABLE}. In dlcc's own build it is $<TARGET_FILE:dlcc>, so
# the compiler is built first; dlccConfig.cmake (find_package(dlcc)) sets it to the
# installed program. It may also be set by hand (-DDLCC_EXECUTABLE=/path/to/dlcc), or
# name an executable target of the project.

include_guard(GLOBAL)

# Resolves DLCC_EXECUTABLE into the command to run (out_cmd) and what the custom command
# must depend on (out_dep): the target, so it is built first and a rebuilt dlcc reruns
# the model, or the program's file.
function(_dlcc_resolve_executable out_cmd out_dep)
  set(exe "${DLCC_EXECUTABLE}")
  if(exe STREQUAL "" AND TARGET dlcc)
    set(exe "$<TARGET_FILE:dlcc>")
  endif()
  if(exe STREQUAL "")
    message(FATAL_ERROR
      "dlcc_add_model: DLCC_EXECUTABLE is not set: use find_package(dlcc), or pass "
      "-DDLCC_EXECUTABLE=/path/to/dlcc.")
  endif()
  if(exe MATCHES "^\\$<TARGET_FILE:([^>]+)>$")
    set(dep "${CMAKE_MATCH_1}")
  elseif(TARGET "${exe}")
    set(dep "${exe}")
    set(exe "$<TARGET_FILE:${exe}>")
  elseif(EXISTS "${exe}" AND NOT IS_DIRECTORY "${exe}")
    set(dep "${exe}")
  else()
    message(FATAL_ERROR
      "dlcc_add_model: DLCC_EXECUTABLE is '${exe}', which is neither a target nor a file.")
  endif()
  set(${out_cmd} "${exe}" PARENT_SCOPE)
  set(${out_dep} "${dep}" PARENT_SCOPE)
endfunction()

function(dlcc_add_model)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "TARGET;MODEL;NAME;WEIGHTS" "SHAPES;OPTIONS;DEPENDS")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "dlcc_add_model: unexpected arguments: ${arg_UNPARSED_ARGUMENTS} "
      "(known: TARGET MODEL NAME SHAPES WEIGHTS OPTIONS DEPENDS)")
  endif()
  if(NOT arg_TARGET)
    message(FATAL_ERROR "dlcc_add_model: TARGET <name> is required.")
  endif()
  get_property(languages GLOBAL PROPERTY ENABLED_LANGUAGES)
  if(NOT "C" IN_LIST languages)
    message(FATAL_ERROR
      "dlcc_add_model(TARGET ${arg_TARGET}): the generated code is C, a language this "
      "project has not enabled: add C to project(<name> LANGUAGES ...) or call enable_language(C)")
  endif()
  if(TARGET "${arg_TARGET}")
    message(FATAL_ERROR "dlcc_add_model(TARGET ${arg_TARGET}): a target of that name exists.")
  endif()
  if(NOT arg_MODEL)
    message(FATAL_ERROR "dlcc_add_model(TARGET ${arg_TARGET}): MODEL <file.onnx> is required.")
  endif()
  get_filename_component(model "${arg_MODEL}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  get_source_file_property(model_generated "${model}" GENERATED)
  if(NOT EXISTS "${model}" AND NOT model_generated)
    message(FATAL_ERROR
      "dlcc_add_model(TARGET ${arg_TARGET}): MODEL '${model}' does not exist.")
  endif()

  set(name "${arg_TARGET}")
  if(DEFINED arg_NAME)
    set(name "${arg_NAME}")
  endif()
  if(NOT name MATCHES "^[A-Za-z_][A-Za-z0-9_]*$")
    message(FATAL_ERROR
      "dlcc_add_model(TARGET ${arg_TARGET}): NAME '${name}' is not a C identifier; "
      "the C API is named after it (${name}_run); pass NAME <c-name>")
  endif()

  set(weights embed)
  if(DEFINED arg_WEIGHTS)
    set(weights "${arg_WEIGHTS}")
  endif()
  if(NOT weights MATCHES "^(embed|file)$")
    message(FATAL_ERROR
      "dlcc_add_model(TARGET ${arg_TARGET}): WEIGHTS is '${weights}'; expected embed or file.")
  endif()

  set(shape_args "")
  foreach(shape IN LISTS arg_SHAPES)
    if(NOT shape MATCHES "^[^=]+=[0-9]+(,[0-9]+)*$")
      message(FATAL_ERROR
        "dlcc_add_model(TARGET ${arg_TARGET}): SHAPES entry '${shape}' is not "
        "<input>=<d>,<d>,... such as input=1,3,224,224")
    endif()
    list(APPEND shape_args --shape "${shape}")
  endforeach()

  _dlcc_resolve_executable(exe exe_dep)

  set(dir "${CMAKE_CURRENT_BINARY_DIR}/dlcc_${arg_TARGET}")
  file(MAKE_DIRECTORY "${dir}")
  set(out_c "${dir}/${name}.c")
  set(out_h "${dir}/${name}.h")
  set(outputs "${out_c}" "${out_h}")
  set(out_w "")
  if(weights STREQUAL "file")
    set(out_w "${dir}/${name}.weights")
    list(APPEND outputs "${out_w}")
  endif()

  file(RELATIVE_PATH model_shown "${CMAKE_SOURCE_DIR}" "${model}")
  if(model_shown MATCHES "^\\.\\./")
    set(model_shown "${model}")
  endif()
  add_custom_command(
    OUTPUT ${outputs}
    COMMAND "${exe}" "${model}" -o "${out_c}" --name "${name}" ${shape_args}
            "--weights=${weights}" ${arg_OPTIONS}
    DEPENDS "${model}" ${exe_dep} ${arg_DEPENDS}
    COMMENT "dlcc: compiling ${model_shown} to ${name}.c"
    VERBATIM)

  add_library(${arg_TARGET} STATIC "${out_c}" "${out_h}")
  target_include_directories(${arg_TARGET} PUBLIC "$<BUILD_INTERFACE:${dir}>")
  if(NOT MSVC)
    target_link_libraries(${arg_TARGET} PUBLIC m)
  endif()
  set_target_properties(${arg_TARGET} PROPERTIES
    C_STANDARD 99
    C_STANDARD_REQUIRED ON
    C_EXTENSIONS OFF
    DLCC_NAME "${name}"
    DLCC_SOURCE "${out_c}"
    DLCC_HEADER "${out_h}"
    DLCC_WEIGHTS_FILE "${out_w}")
  set(${arg_TARGET}_WEIGHTS_FILE "${out_w}" PARENT_SCOPE)
endfunction()
