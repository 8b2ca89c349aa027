# Test-only configurations of the stream engines' test top (not units under
# test; no suite set uses them): included by rtl_models/CMakeLists.txt when
# the tests are built.
fp4v_rtl_model(CONFIG engine_adder TOP stream_adder TEST_ONLY
               SOURCES ${CMAKE_CURRENT_LIST_DIR}/stream_adder.sv PARAMS -GDEPTH=3)
fp4v_rtl_model(CONFIG engine_adder_deep TOP stream_adder TEST_ONLY
               SOURCES ${CMAKE_CURRENT_LIST_DIR}/stream_adder.sv PARAMS -GDEPTH=7)
if(FP4V_RTL_MUTANTS)
  fp4v_rtl_model(CONFIG engine_adder__carry16 TOP stream_adder TEST_ONLY
                 SOURCES ${CMAKE_CURRENT_LIST_DIR}/stream_adder.sv PARAMS -GDEPTH=3 -GBUG=1)
endif()
