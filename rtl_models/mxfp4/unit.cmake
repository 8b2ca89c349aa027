# The MXFP4 block quantizer (rtl/mxfp4/): one block (MBS: one 1x128 macro
# block) per beat and cycle. rtl_models/mxfp4/README.md lists the
# configurations and the mutants.
set(FP4V_MX_RTL ${CMAKE_CURRENT_SOURCE_DIR}/rtl/mxfp4)
set(FP4V_MX_SOURCES
    ${CMAKE_CURRENT_SOURCE_DIR}/rtl/tensor/fp4v_stream_regs.sv
    ${FP4V_MX_RTL}/fp4v_mx_pkg.sv
    ${FP4V_MX_RTL}/fp4v_mx_to_fp32.sv
    ${FP4V_MX_RTL}/fp4v_mx_scale_byte.sv
    ${FP4V_MX_RTL}/fp4v_mx_macro_factor.sv
    ${FP4V_MX_RTL}/fp4v_mx_macro_scale.sv
    ${FP4V_MX_RTL}/fp4v_mx_e2m1_encode.sv
    ${FP4V_MX_RTL}/fp4v_mxfp4_quantizer.sv)

# fp4v_mx_config(<name> <parameters...>)
function(fp4v_mx_config name)
  fp4v_rtl_model(CONFIG ${name} TOP fp4v_mxfp4_quantizer SOURCES ${FP4V_MX_SOURCES} PARAMS ${ARGN})
endfunction()

# RULE: 0 OCP floor, 1 OAS, 2 MBS, 3 torchao FLOOR; IN_FMT: 0 FP32, 1 BF16, 2 FP16.
set(FP4V_MX_OCP -GRULE=0 -GBLOCK=32 -GPIPE=1)
set(FP4V_MX_OAS -GRULE=1 -GBLOCK=16 -GPIPE=1)
set(FP4V_MX_MBS -GRULE=2 -GBLOCK=16 -GPIPE=2)
fp4v_mx_config(mxfp4_ocp ${FP4V_MX_OCP})
fp4v_mx_config(mxfp4_ocp_bf16 ${FP4V_MX_OCP} -GIN_FMT=1)
fp4v_mx_config(mxfp4_ocp_fp16 ${FP4V_MX_OCP} -GIN_FMT=2)
fp4v_mx_config(mxfp4_ocp_sr ${FP4V_MX_OCP} -GSTOCHASTIC=1)
fp4v_mx_config(mxfp4_torchao_floor -GRULE=3 -GBLOCK=32 -GPIPE=1)
fp4v_mx_config(mxfp4_oas ${FP4V_MX_OAS})
fp4v_mx_config(mxfp4_mbs ${FP4V_MX_MBS})

# Mutants: <base>__<bug>, MUTANT values of rtl/mxfp4/fp4v_mx_pkg.sv.
if(FP4V_RTL_MUTANTS)
  fp4v_mx_config(mxfp4_ocp__e2m1_ties_away ${FP4V_MX_OCP} -GMUTANT=1)
  fp4v_mx_config(mxfp4_ocp__no_saturation ${FP4V_MX_OCP} -GMUTANT=2)
  fp4v_mx_config(mxfp4_ocp__scale_clamp_off_by_one ${FP4V_MX_OCP} -GMUTANT=3)
  fp4v_mx_config(mxfp4_oas__oas_threshold_ge ${FP4V_MX_OAS} -GMUTANT=4)
  fp4v_mx_config(mxfp4_mbs__factor_bits_short ${FP4V_MX_MBS} -GMUTANT=5)
  fp4v_mx_config(mxfp4_mbs__quotient_carry_ignored ${FP4V_MX_MBS} -GMUTANT=6)
  fp4v_mx_config(mxfp4_ocp__nibble_swap ${FP4V_MX_OCP} -GMUTANT=7)
  fp4v_mx_config(mxfp4_ocp__scale_ceil ${FP4V_MX_OCP} -GMUTANT=8)
  fp4v_mx_config(mxfp4_ocp__block_amax_signed ${FP4V_MX_OCP} -GMUTANT=9)
  fp4v_mx_config(mxfp4_ocp__sticky_dropped ${FP4V_MX_OCP} -GMUTANT=10)
  fp4v_mx_config(mxfp4_oas__zero_block_byte0 ${FP4V_MX_OAS} -GMUTANT=11)
  fp4v_mx_config(mxfp4_ocp__subnormal_hidden_bit ${FP4V_MX_OCP} -GMUTANT=12)
  fp4v_mx_config(mxfp4_ocp_fp16__fp16_subnormal_flush ${FP4V_MX_OCP} -GIN_FMT=2 -GMUTANT=13)
endif()

target_sources(fp4v_rtl PRIVATE ${CMAKE_CURRENT_LIST_DIR}/mxfp4_quantizer.cpp)
