# The NVFP4 unit: block quantizer (fp4v_nvfp4_quantizer) and tensor-scale
# unit (fp4v_nvfp4_tensor_scale), rtl/nvfp4/. Parameters: fp4v_nvfp4_pkg.sv.
# Every configuration below is one Verilator build; the codec
# (nvfp4_quantizer.cpp) picks them by recipe, tile, input dtype and
# stochastic rounding.
set(FP4V_NVFP4_RTL ${CMAKE_CURRENT_LIST_DIR}/../rtl/nvfp4)
set(FP4V_NVFP4_SOURCES
  ${FP4V_NVFP4_RTL}/fp4v_nvfp4_pkg.sv
  ${FP4V_NVFP4_RTL}/fp4v_nvfp4_pipe_reg.sv
  ${FP4V_NVFP4_RTL}/fp4v_nvfp4_block_amax.sv
  ${FP4V_NVFP4_RTL}/fp4v_nvfp4_exact_scales.sv
  ${FP4V_NVFP4_RTL}/fp4v_nvfp4_exact_elements.sv
  ${FP4V_NVFP4_RTL}/fp4v_nvfp4_te_scale.sv
  ${FP4V_NVFP4_RTL}/fp4v_nvfp4_te_elements.sv
  ${FP4V_NVFP4_RTL}/fp4v_nvfp4_quantizer.sv
  ${FP4V_NVFP4_RTL}/fp4v_nvfp4_tensor_scale.sv)
# Fast models: no X randomisation, Verilator's optimisations on.
set(FP4V_NVFP4_VFLAGS -O3 --x-assign fast --x-initial fast)

# fp4v_nvfp4_quantizer_config(<name> <param>=<value> ...)
# (PIPE=2 unless given: a later -G overrides.)
function(fp4v_nvfp4_quantizer_config name)
  set(params "")
  foreach(p ${ARGN})
    list(APPEND params -G${p})
  endforeach()
  fp4v_rtl_model(CONFIG ${name} TOP fp4v_nvfp4_quantizer SOURCES ${FP4V_NVFP4_SOURCES}
                 PARAMS ${FP4V_NVFP4_VFLAGS} -GPIPE=2 ${params})
endfunction()

# ARITH 0 = exact (nvfp4.46*), 1 = TransformerEngine; SELECTION 0 static 6,
# 1 mse, 2 mae, 3 abs_max; IN_FMT 0 FP32, 1 BF16, 2 FP16.
fp4v_nvfp4_quantizer_config(nvfp4_46_mse          ARITH=0 SELECTION=1)
fp4v_nvfp4_quantizer_config(nvfp4_46_mae          ARITH=0 SELECTION=2)
fp4v_nvfp4_quantizer_config(nvfp4_46_abs_max      ARITH=0 SELECTION=3)
fp4v_nvfp4_quantizer_config(nvfp4_46_mse_bf16     ARITH=0 SELECTION=1 IN_FMT=1)
fp4v_nvfp4_quantizer_config(nvfp4_46_mse_fp16     ARITH=0 SELECTION=1 IN_FMT=2)
fp4v_nvfp4_quantizer_config(nvfp4_46_mse_2d       ARITH=0 SELECTION=1 TILE_2D=1)
fp4v_nvfp4_quantizer_config(nvfp4_46_mae_2d       ARITH=0 SELECTION=2 TILE_2D=1)
fp4v_nvfp4_quantizer_config(nvfp4_46_abs_max_2d   ARITH=0 SELECTION=3 TILE_2D=1)
fp4v_nvfp4_quantizer_config(nvfp4_te              ARITH=1 SELECTION=0)
fp4v_nvfp4_quantizer_config(nvfp4_te_sr           ARITH=1 SELECTION=0 STOCHASTIC=1)
fp4v_nvfp4_quantizer_config(nvfp4_te_2d           ARITH=1 SELECTION=0 TILE_2D=1)

# The other pipeline settings, for the tests only (the codec never picks
# them): no register at all, and all three cut points registered.
fp4v_nvfp4_quantizer_config(nvfp4_46_mse_pipe0    ARITH=0 SELECTION=1 PIPE=0)
fp4v_nvfp4_quantizer_config(nvfp4_te_pipe3        ARITH=1 SELECTION=0 PIPE=3)

fp4v_rtl_model(CONFIG nvfp4_tensor_scale_46 TOP fp4v_nvfp4_tensor_scale SOURCES ${FP4V_NVFP4_SOURCES}
               PARAMS ${FP4V_NVFP4_VFLAGS} -GRULE=0)
fp4v_rtl_model(CONFIG nvfp4_tensor_scale_te TOP fp4v_nvfp4_tensor_scale SOURCES ${FP4V_NVFP4_SOURCES}
               PARAMS ${FP4V_NVFP4_VFLAGS} -GRULE=1)

# Planted bugs (rtl_models/nvfp4/README.md): each a configuration
# <base>__<mutant> that the suites must tell from golden.
if(FP4V_RTL_MUTANTS)
  fp4v_nvfp4_quantizer_config(nvfp4_46_mse__e2m1_ties_away     ARITH=0 SELECTION=1 MUTANT=1)
  fp4v_nvfp4_quantizer_config(nvfp4_46_mse__no_element_sat     ARITH=0 SELECTION=1 MUTANT=2)
  fp4v_nvfp4_quantizer_config(nvfp4_46_mse__ties_keep_four     ARITH=0 SELECTION=1 MUTANT=3)
  fp4v_nvfp4_quantizer_config(nvfp4_46_mse__scale_toward_zero  ARITH=0 SELECTION=1 MUTANT=4)
  fp4v_nvfp4_quantizer_config(nvfp4_46_mse__scale_clamp_low    ARITH=0 SELECTION=1 MUTANT=5)
  fp4v_nvfp4_quantizer_config(nvfp4_46_mse__nibble_swap        ARITH=0 SELECTION=1 MUTANT=6)
  fp4v_nvfp4_quantizer_config(nvfp4_46_mse__sticky_dropped     ARITH=0 SELECTION=1 MUTANT=7)
  fp4v_nvfp4_quantizer_config(nvfp4_46_mse__error_truncated    ARITH=0 SELECTION=1 MUTANT=8)
  fp4v_nvfp4_quantizer_config(nvfp4_46_mse__subnormal_flush    ARITH=0 SELECTION=1 MUTANT=9)
  fp4v_nvfp4_quantizer_config(nvfp4_46_mse__amax_skips_last    ARITH=0 SELECTION=1 MUTANT=10)
  fp4v_nvfp4_quantizer_config(nvfp4_46_abs_max__ties_keep_four ARITH=0 SELECTION=3 MUTANT=3)
  fp4v_nvfp4_quantizer_config(nvfp4_te__recip_truncated        ARITH=1 SELECTION=0 MUTANT=11)
  fp4v_nvfp4_quantizer_config(nvfp4_te__sign_from_bit          ARITH=1 SELECTION=0 MUTANT=12)
  fp4v_nvfp4_quantizer_config(nvfp4_te__e2m1_ties_away         ARITH=1 SELECTION=0 MUTANT=1)
  fp4v_nvfp4_quantizer_config(nvfp4_46_mse__remainder_dropped ARITH=0 SELECTION=1 MUTANT=13)
  fp4v_rtl_model(CONFIG nvfp4_tensor_scale_46__s_enc_truncated TOP fp4v_nvfp4_tensor_scale
                 SOURCES ${FP4V_NVFP4_SOURCES} PARAMS ${FP4V_NVFP4_VFLAGS} -GRULE=0 -GMUTANT=14)
endif()

target_sources(fp4v_rtl PRIVATE ${CMAKE_CURRENT_LIST_DIR}/nvfp4_quantizer.cpp)
