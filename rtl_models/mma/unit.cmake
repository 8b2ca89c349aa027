# The block-scaled MMA unit (rtl/mma/): one configuration per golden MMA
# recipe it runs bit for bit, and (FP4V_RTL_MUTANTS) its planted bugs, each
# `<base>__<mutant>` (README.md here). The tile geometry (M, N, K, BLOCK) of
# each base is mirrored by the codec's table in mma_unit.cpp.
set(FP4V_MMA_RTL_DIR ${CMAKE_CURRENT_LIST_DIR}/../rtl/mma)
set(FP4V_MMA_SOURCES
  ${FP4V_MMA_RTL_DIR}/fp4v_mma_pkg.sv
  ${FP4V_MMA_RTL_DIR}/fp4v_mma_group_sum.sv
  ${FP4V_MMA_RTL_DIR}/fp4v_mma_group_terms.sv
  ${FP4V_MMA_RTL_DIR}/fp4v_mma_round_fp32.sv
  ${FP4V_MMA_RTL_DIR}/fp4v_mma_fused_dot.sv
  ${FP4V_MMA_RTL_DIR}/fp4v_mma_exact_dot.sv
  ${FP4V_MMA_RTL_DIR}/fp4v_mma_dequant.sv
  ${FP4V_MMA_RTL_DIR}/fp4v_mma_fp32_mul.sv
  ${FP4V_MMA_RTL_DIR}/fp4v_mma_fp32_add.sv
  ${FP4V_MMA_RTL_DIR}/fp4v_mma_seq_dot.sv
  ${CMAKE_CURRENT_LIST_DIR}/../rtl/tensor/fp4v_stream_regs.sv
  ${FP4V_MMA_RTL_DIR}/fp4v_mma_unit.sv)

# fp4v_mma_config(<name> <parameters...>): a 2 x 2 tile of K = 64 (one
# instruction), two register stages.
function(fp4v_mma_config name)
  fp4v_rtl_model(CONFIG ${name} TOP fp4v_mma_unit SOURCES ${FP4V_MMA_SOURCES}
                 PARAMS -GM=2 -GN=2 -GK=64 -GPIPE=2 ${ARGN})
endfunction()

# Blackwell (MMA-Sim): fused dot product, G = 16, F = 35, round toward zero.
# blackwell.mxf4nvf4.ue8m0x32 and blackwell.mxf4.ue8m0x32 are one arithmetic
# (golden: same scale format, block, G, F, rounding) and share mma_bw_ue8m0x32.
set(FP4V_MMA_BW_UE4M3X16 -GSCALE_FMT=0 -GBLOCK=16 -GACC=0 -GG=16 -GF=35 -GRNE=0)
set(FP4V_MMA_BW_UE8M0X16 -GSCALE_FMT=1 -GBLOCK=16 -GACC=0 -GG=16 -GF=35 -GRNE=0)
set(FP4V_MMA_BW_UE8M0X32 -GSCALE_FMT=1 -GBLOCK=32 -GACC=0 -GG=16 -GF=35 -GRNE=0)
# The specification: the exact sum of all K products and C, one RNE rounding.
set(FP4V_MMA_EXACT_UE4M3X16 -GSCALE_FMT=0 -GBLOCK=16 -GACC=1 -GRNE=1)
set(FP4V_MMA_EXACT_UE8M0X32 -GSCALE_FMT=1 -GBLOCK=32 -GACC=1 -GRNE=1)
# The host references (CUTLASS, TransformerEngine): FP32 dequantize, multiply
# and add element by element in order; 4 elements a cycle.
set(FP4V_MMA_SEQ_UE4M3X16 -GSCALE_FMT=0 -GBLOCK=16 -GACC=2 -GSEQ_ELEMS=4)
set(FP4V_MMA_SEQ_UE8M0X32 -GSCALE_FMT=1 -GBLOCK=32 -GACC=2 -GSEQ_ELEMS=4)

fp4v_mma_config(mma_bw_ue4m3x16 ${FP4V_MMA_BW_UE4M3X16})
fp4v_mma_config(mma_bw_ue8m0x16 ${FP4V_MMA_BW_UE8M0X16})
fp4v_mma_config(mma_bw_ue8m0x32 ${FP4V_MMA_BW_UE8M0X32})
fp4v_mma_config(mma_exact_ue4m3x16 ${FP4V_MMA_EXACT_UE4M3X16})
fp4v_mma_config(mma_exact_ue8m0x32 ${FP4V_MMA_EXACT_UE8M0X32})
fp4v_mma_config(mma_seq_ue4m3x16 ${FP4V_MMA_SEQ_UE4M3X16})
fp4v_mma_config(mma_seq_ue8m0x32 ${FP4V_MMA_SEQ_UE8M0X32})

if(FP4V_RTL_MUTANTS)
  # MUTANT values: rtl/mma/fp4v_mma_pkg.sv (Mut*).
  fp4v_mma_config(mma_bw_ue4m3x16__frac_short ${FP4V_MMA_BW_UE4M3X16} -GMUTANT=1)
  fp4v_mma_config(mma_bw_ue4m3x16__align_round ${FP4V_MMA_BW_UE4M3X16} -GMUTANT=2)
  fp4v_mma_config(mma_bw_ue4m3x16__final_rne ${FP4V_MMA_BW_UE4M3X16} -GMUTANT=3)
  fp4v_mma_config(mma_exact_ue8m0x32__no_sticky ${FP4V_MMA_EXACT_UE8M0X32} -GMUTANT=4)
  fp4v_mma_config(mma_bw_ue4m3x16__scale_sign ${FP4V_MMA_BW_UE4M3X16} -GMUTANT=5)
  fp4v_mma_config(mma_bw_ue8m0x32__e8m0_bias ${FP4V_MMA_BW_UE8M0X32} -GMUTANT=6)
  fp4v_mma_config(mma_bw_ue8m0x16__group8 ${FP4V_MMA_BW_UE8M0X16} -GMUTANT=7)
  fp4v_mma_config(mma_exact_ue4m3x16__nibble ${FP4V_MMA_EXACT_UE4M3X16} -GMUTANT=8)
  fp4v_mma_config(mma_exact_ue4m3x16__c_daz ${FP4V_MMA_EXACT_UE4M3X16} -GMUTANT=9)
  fp4v_mma_config(mma_exact_ue8m0x32__result_ftz ${FP4V_MMA_EXACT_UE8M0X32} -GMUTANT=10)
  fp4v_mma_config(mma_bw_ue8m0x32__inf_c ${FP4V_MMA_BW_UE8M0X32} -GMUTANT=11)
  fp4v_mma_config(mma_bw_ue4m3x16__c_after ${FP4V_MMA_BW_UE4M3X16} -GMUTANT=12)
  fp4v_mma_config(mma_bw_ue4m3x16__c_daz ${FP4V_MMA_BW_UE4M3X16} -GMUTANT=9)
  fp4v_mma_config(mma_bw_ue8m0x32__zero_group_align ${FP4V_MMA_BW_UE8M0X32} -GMUTANT=13)
  fp4v_mma_config(mma_exact_ue8m0x32__unsigned_zero ${FP4V_MMA_EXACT_UE8M0X32} -GMUTANT=14)
  fp4v_mma_config(mma_bw_ue4m3x16__inf_before_nan ${FP4V_MMA_BW_UE4M3X16} -GMUTANT=15)
endif()

target_sources(fp4v_rtl PRIVATE ${CMAKE_CURRENT_LIST_DIR}/mma_unit.cpp)
