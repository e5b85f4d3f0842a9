//! Reference draws with the real crates, for massa-ts's golden vectors and benchmark.
//!
//! Input on stdin: first line `cycle periods_per_cycle thread_count endorsement_count seed_hex64`, then one
//! weight (roll count, u64) per line, already in Massa address order.
//! Output: one line per slot, `<period> <thread> <producer index | G> <e0>,<e1>,…`.
//! With `--bench RUNS`: prints `draws-ref: stakers=N median_ms=X` instead (table build + whole cycle).
use rand::distributions::Distribution;
use rand::SeedableRng;
use rand_distr::WeightedAliasIndex;
use rand_xoshiro::Xoshiro256PlusPlus;
use std::io::{BufRead, Write};
use std::time::Instant;

fn draw(weights: &[u64], seed: [u8; 32], cycle: u64, ppc: u64, tc: u8, ec: usize) -> Vec<(Option<usize>, Vec<usize>)> {
    let dist = WeightedAliasIndex::new(weights.to_vec()).expect("invalid distribution");
    let mut rng = Xoshiro256PlusPlus::from_seed(seed);
    let mut out = Vec::with_capacity((ppc as usize) * (tc as usize));
    for period in cycle * ppc..(cycle + 1) * ppc {
        for _thread in 0..tc {
            let producer = if period > 0 { Some(dist.sample(&mut rng)) } else { None };
            let endorsers = (0..ec).map(|_| dist.sample(&mut rng)).collect();
            out.push((producer, endorsers));
        }
    }
    out
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let bench_runs: Option<usize> = if args.len() >= 3 && args[1] == "--bench" { args[2].parse().ok() } else { None };
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    let header = lines.next().expect("missing header line").expect("read error");
    let h: Vec<&str> = header.split_whitespace().collect();
    assert_eq!(h.len(), 5, "header: cycle ppc tc ec seed_hex64");
    let cycle: u64 = h[0].parse().unwrap();
    let ppc: u64 = h[1].parse().unwrap();
    let tc: u8 = h[2].parse().unwrap();
    let ec: usize = h[3].parse().unwrap();
    let mut seed = [0u8; 32];
    for i in 0..32 {
        seed[i] = u8::from_str_radix(&h[4][2 * i..2 * i + 2], 16).expect("seed must be 64 hex digits");
    }
    let weights: Vec<u64> = lines.map(|l| l.unwrap().trim().parse::<u64>().unwrap()).collect();
    if let Some(runs) = bench_runs {
        let mut ms: Vec<f64> = (0..runs)
            .map(|_| {
                let t = Instant::now();
                let d = draw(&weights, seed, cycle, ppc, tc, ec);
                std::hint::black_box(&d);
                t.elapsed().as_secs_f64() * 1000.0
            })
            .collect();
        ms.sort_by(|a, b| a.partial_cmp(b).unwrap());
        println!("draws-ref: stakers={} median_ms={:.3}", weights.len(), ms[runs / 2]);
        return;
    }
    let d = draw(&weights, seed, cycle, ppc, tc, ec);
    let out = std::io::stdout();
    let mut w = std::io::BufWriter::new(out.lock());
    let mut k = 0usize;
    for period in cycle * ppc..(cycle + 1) * ppc {
        for thread in 0..tc {
            let (p, e) = &d[k];
            let ps = match p { Some(i) => i.to_string(), None => "G".to_string() };
            let es: Vec<String> = e.iter().map(|i| i.to_string()).collect();
            writeln!(w, "{} {} {} {}", period, thread, ps, es.join(",")).unwrap();
            k += 1;
        }
    }
}
