# One smoke run of a fuzz target (ctest): a fresh copy of the seed corpus in
# the build tree, so that what libFuzzer adds never lands in the source tree;
# a crashing input is written next to it as crash-<sha1>.
#   cmake -DFUZZER=<binary> -DCORPUS=<tests/fuzz/corpus/t> -DWORK=<dir> -P smoke.cmake
file(REMOVE_RECURSE "${WORK}")
file(COPY "${CORPUS}/" DESTINATION "${WORK}")
execute_process(COMMAND "${FUZZER}" -runs=20000 -max_total_time=10 -print_final_stats=1
                        -artifact_prefix=${WORK}-
                        "${WORK}"
                RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "${FUZZER} failed (${result}); the input is ${WORK}-crash-* (or leak-, timeout-)")
endif()
