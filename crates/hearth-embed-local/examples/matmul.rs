//! How fast candle multiplies matrices of the encoder's shapes on this machine.
#![allow(clippy::print_stdout)] // a measuring tool: its output is the measurement
fn main() {
    use candle_core::{Device, Tensor};
    let device = Device::Cpu;
    for (m, k, n, transposed) in [
        (1600, 384, 1152, false),
        (1600, 384, 1152, true),
        (1600, 1536, 384, true),
        (4096, 4096, 4096 / 4, false),
    ] {
        let a = Tensor::randn(0f32, 1.0, (m, k), &device).unwrap();
        let b = if transposed {
            Tensor::randn(0f32, 1.0, (n, k), &device)
                .unwrap()
                .t()
                .unwrap()
        } else {
            Tensor::randn(0f32, 1.0, (k, n), &device).unwrap()
        };
        a.matmul(&b).unwrap();
        let runs = 20;
        let start = std::time::Instant::now();
        for _ in 0..runs {
            a.matmul(&b).unwrap();
        }
        let s = start.elapsed().as_secs_f64();
        println!(
            "{m}x{k}x{n} t={transposed}: {:.1} GFLOP/s",
            2.0 * (m * k * n * runs) as f64 / s / 1e9
        );
    }
}
