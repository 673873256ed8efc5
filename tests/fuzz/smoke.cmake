# One smoke run of a fuzz target (ctest): a fresh copy of the seed corpus in
# the build tree, so that what libFuzzer adds never lands in the source tree;
# the saved crashing inputs, if any, are read from REGRESSIONS (libFuzzer only
# writes to the first folder named); a crashing input is written next to the
# copy as crash-<sha1>.
#   cmake -DFUZZER=<binary> -DCORPUS=<tests/fuzz/corpus/t> [-DREGRESSIONS=<tests/fuzz/regressions/t>]
#         -DWORK=<dir> -P smoke.cmake
file(REMOVE_RECURSE "${WORK}")
file(COPY "${CORPUS}/" DESTINATION "${WORK}")
set(folders "${WORK}")
if(REGRESSIONS)
  list(APPEND folders "${REGRESSIONS}")
endif()
execute_process(COMMAND "${FUZZER}" -runs=20000 -max_total_time=10 -print_final_stats=1
                        -artifact_prefix=${WORK}-
                        ${folders}
                RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "${FUZZER} failed (${result}); the input is ${WORK}-crash-* (or leak-, timeout-)")
endif()
