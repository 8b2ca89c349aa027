# The tensor amax unit (rtl/tensor/): max |x| over a tensor streamed 16 FP32
# lanes per beat. Both quantizer codecs run it (tensor_amax.h).
set(FP4V_TENSOR_RTL ${CMAKE_CURRENT_SOURCE_DIR}/rtl/tensor)
set(FP4V_TENSOR_AMAX_SOURCES
    ${FP4V_TENSOR_RTL}/fp4v_tensor_pkg.sv
    ${FP4V_TENSOR_RTL}/fp4v_stream_regs.sv
    ${FP4V_TENSOR_RTL}/fp4v_tensor_amax.sv)

fp4v_rtl_model(CONFIG tensor_amax TOP fp4v_tensor_amax SOURCES ${FP4V_TENSOR_AMAX_SOURCES} PARAMS -GPIPE=1)
if(FP4V_RTL_MUTANTS)
  fp4v_rtl_model(CONFIG tensor_amax__amax_signed TOP fp4v_tensor_amax SOURCES ${FP4V_TENSOR_AMAX_SOURCES}
                 PARAMS -GPIPE=1 -GMUTANT=1)
endif()

target_sources(fp4v_rtl PRIVATE ${CMAKE_CURRENT_LIST_DIR}/tensor_amax.cpp)
