"""Built-in hardware catalog: one ``GpuSpec`` per GPU type, every number with its source.

Sources are the rows of ``docs/hardware.md`` (copied from the project's reference sheet). Numbers
marked *assumption* have no published source; they are scenario parameters a user can override
through ``catalog:`` in a scenario.
"""

from __future__ import annotations

from colossim.config.schema import GpuSpec

# Reference keys used in ``source`` fields; docs/hardware.md expands each one.
_BLACKWELL = (
    "Dense BF16/FP8/FP4: Klockwood B200/B300 pages and Verda GB300 blog (NVIDIA figures); "
    "HBM: MLCommons Crusoe GB200 system JSON (186 GB visible), NVIDIA MLPerf v5.1 (279 GB); "
    "NIC: Crusoe MLPerf JSON (CX-7 400G), NVIDIA Enterprise RA GB300 (CX-8 800G); "
    "rack power: NVIDIA BCM power-shelf page, Enterprise RA GB300 (142 kW); GB200 132 kW is an "
    "assumption inside the published 120 kW (reported) to 150 kW (DGX SuperPOD RA) bracket"
)

BUILTIN_GPUS: dict[str, GpuSpec] = {
    "GB200": GpuSpec(
        bf16_tflops=2500.0,
        fp8_tflops=5000.0,
        fp4_tflops=10000.0,
        hbm_gb=192.0,
        hbm_usable_gb=186.0,
        hbm_tbytes_s=8.0,
        nvlink_gbytes_s=900.0,
        nic_gbit_s=400.0,
        tdp_w=1200.0,
        idle_w=200.0,  # assumption: ~1/6 of TDP; no published Blackwell idle figure
        gpus_per_domain=72,
        gpus_per_rack=72,
        rack_overhead_w=45600.0,  # derived: 132 kW rack - 72 x 1,200 W
        source=_BLACKWELL,
    ),
    "GB300": GpuSpec(
        bf16_tflops=2500.0,
        fp8_tflops=5000.0,
        fp4_tflops=15000.0,
        hbm_gb=288.0,
        hbm_usable_gb=279.0,
        hbm_tbytes_s=8.0,
        nvlink_gbytes_s=900.0,
        nic_gbit_s=800.0,
        tdp_w=1400.0,
        idle_w=230.0,  # assumption: ~1/6 of TDP
        gpus_per_domain=72,
        gpus_per_rack=72,
        rack_overhead_w=41200.0,  # derived: 142 kW rack - 72 x 1,400 W
        source=_BLACKWELL,
    ),
    "H100": GpuSpec(
        bf16_tflops=989.0,
        fp8_tflops=1979.0,
        fp4_tflops=None,
        hbm_gb=80.0,
        hbm_usable_gb=80.0,
        hbm_tbytes_s=3.35,
        nvlink_gbytes_s=450.0,
        nic_gbit_s=400.0,
        tdp_w=700.0,
        idle_w=90.0,  # assumption
        gpus_per_domain=8,
        gpus_per_rack=64,  # Colossus 1: 8 HGX servers per rack (ServeTheHome)
        rack_overhead_w=16000.0,  # derived: Colossus 1 rack ">60 kW" ~ 60.8 kW - 64 x 700 W
        source="NVIDIA H100 datasheet; Llama 3 paper (arXiv 2407.21783) s3.3.1; ServeTheHome",
    ),
    "A100": GpuSpec(
        bf16_tflops=312.0,
        fp8_tflops=312.0,  # no FP8 on Ampere: FP8 work runs at the BF16 rate
        fp4_tflops=None,
        hbm_gb=80.0,
        hbm_usable_gb=80.0,
        hbm_tbytes_s=2.0,  # A100 80GB SXM datasheet: 2.039 TB/s, rounded (docs/hardware.md)
        nvlink_gbytes_s=300.0,  # NVLink 3: 600 GB/s bidirectional (datasheet)
        nic_gbit_s=200.0,  # HDR 200 Gb/s per GPU: Megatron SC'21 (arXiv 2104.04473) s5
        tdp_w=400.0,
        idle_w=50.0,  # assumption
        gpus_per_domain=8,
        gpus_per_rack=32,  # assumption: 4 DGX A100 per rack
        rack_overhead_w=9600.0,  # assumption: 4 nodes x 2.4 kW beyond their GPUs
        source="Megatron-LM SC'21 (arXiv 2104.04473) s5: 312 TFLOPS; NVIDIA A100 datasheet",
    ),
}
