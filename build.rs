//! Links libespeak-ng, found through pkg-config, with an actionable message when it is missing.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if let Err(err) = pkg_config::Config::new()
        .atleast_version("1.49")
        .probe("espeak-ng")
    {
        println!(
            "cargo:warning=libespeak-ng was not found ({err}); install it with: apt-get install libespeak-ng-dev pkg-config"
        );
        std::process::exit(1);
    }
}
