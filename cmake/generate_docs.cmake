# Writes what `weir` generates about itself from its own command definitions:
# OUTPUT_DIR/completions/{weir.bash,_weir,weir.fish} and OUTPUT_DIR/man/weir.1
# (from the template TEMPLATE). The build writes them into the build tree;
# the `regenerate_docs` target writes them over the committed copies.
#   cmake -DWEIR=build/cli/weir -DTEMPLATE=man/weir.1.in -DOUTPUT_DIR=DIR -P cmake/generate_docs.cmake
foreach(required WEIR TEMPLATE OUTPUT_DIR)
  if(NOT DEFINED ${required})
    message(FATAL_ERROR "generate_docs.cmake needs -D${required}=...")
  endif()
endforeach()

file(MAKE_DIRECTORY ${OUTPUT_DIR}/completions ${OUTPUT_DIR}/man)

function(generate output)
  # Written beside the target and renamed, so an interrupted run never leaves
  # a half-written file that looks up to date.
  execute_process(COMMAND ${WEIR} ${ARGN} OUTPUT_FILE ${output}.tmp RESULT_VARIABLE result)
  if(NOT result EQUAL 0)
    file(REMOVE ${output}.tmp)
    message(FATAL_ERROR "`weir ${ARGN}` failed (${result})")
  endif()
  file(RENAME ${output}.tmp ${output})
endfunction()

generate(${OUTPUT_DIR}/completions/weir.bash completions bash)
generate(${OUTPUT_DIR}/completions/_weir completions zsh)
generate(${OUTPUT_DIR}/completions/weir.fish completions fish)
generate(${OUTPUT_DIR}/man/weir.1 __man-page ${TEMPLATE})
