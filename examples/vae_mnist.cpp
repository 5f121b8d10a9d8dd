// vae_mnist: trains the VAE of PyTorch's examples/vae on MNIST, evaluates its test-set bound in
// nats, and draws samples, reconstructions and (for a 2-D latent) a latent traversal.
//
//   vae_mnist train --out out/vae --epochs 10 --batch 128
//   vae_mnist eval --checkpoint out/vae/checkpoint.safetensors --iw-samples 100
//   vae_mnist sample --checkpoint out/vae/checkpoint.safetensors --out out/vae
#include "vae_mnist.hpp"

#if defined(AIGC_EXAMPLES_CUDA)  // compiled by nvcc in vae_mnist_cuda.cu
extern template void train<Cuda>(const VaeOptions&);
extern template void eval<Cuda>(const VaeOptions&);
extern template void sample<Cuda>(const VaeOptions&);
extern template void interpolate<Cuda>(const VaeOptions&);
#endif

// The model's shape: a training run sets it; evaluation and sampling must repeat it.
static void add_model_options(CLI::App& cmd, VaeOptions& opt) {
    cmd.add_option("--hidden", opt.hidden, "encoder widths, e.g. --hidden 512 256 (decoder mirrors)")
        ->capture_default_str()->check(CLI::Range(1, 1 << 16));
    cmd.add_option("--latent", opt.latent, "latent dimensions")->capture_default_str()->check(CLI::Range(1, 4096));
}

int main(int argc, char** argv) {
    CLI::App app("Train, evaluate and sample the MNIST VAE", "vae_mnist");
    app.require_subcommand(1);
    VaeOptions opt;
    auto* train_cmd = app.add_subcommand("train", "train; writes checkpoints, samples.png, metrics.csv, loss.svg");
    examples::add_training_options(*train_cmd, opt.common);
    add_model_options(*train_cmd, opt);
    train_cmd->add_option("--beta", opt.beta, "weight of the KL term")->capture_default_str()->check(CLI::Range(0.0, 1e6));
    // Not part of a checkpoint: a --resume may continue with another learning rate.
    train_cmd->add_option("--lr", opt.lr, "Adam learning rate")->capture_default_str()->check(examples::positive_finite());
    train_cmd->add_flag("--binarize", opt.binarize, "dynamic binarisation of the training pixels");
    train_cmd->add_option("--kl-warmup", opt.kl_warmup, "steps over which the KL weight rises linearly to --beta")
        ->check(CLI::Range(std::int64_t{0}, std::int64_t{1} << 40));
    train_cmd->add_option("--free-bits", opt.free_bits,
                          "nats per latent dimension (batch mean) below which its KL is not pushed down")
        ->check(CLI::Range(0.0, 1e3));
    train_cmd->add_option("--iw-train", opt.iw_train,
                          "train on the importance-weighted bound with K samples (IWAE); 1 is the ELBO")
        ->capture_default_str()->check(CLI::Range(1, 5000));
    auto* eval_cmd = app.add_subcommand("eval", "test-set negative ELBO per example in nats");
    auto* sample_cmd = app.add_subcommand("sample", "samples, reconstructions, 2-D latent traversal (PNG)");
    auto* interpolate_cmd =
        app.add_subcommand("interpolate", "a PNG strip decoded along the line between two test images' codes");
    for (auto* cmd : {eval_cmd, sample_cmd, interpolate_cmd}) {
        cmd->add_option("--checkpoint", opt.checkpoint, "checkpoint.safetensors or vae.safetensors")
            ->required()->check(CLI::ExistingFile);
        cmd->add_option("--data", opt.common.data, "MNIST folder")->capture_default_str();
        cmd->add_option("--seed", opt.common.seed, "sampling seed")->capture_default_str();
        cmd->add_option("--device", opt.common.device, "cpu or cuda")->check(CLI::IsMember({"cpu", "cuda"}));
        add_model_options(*cmd, opt);
    }
    eval_cmd->add_option("--iw-samples", opt.iw_samples, "also the importance-weighted bound with K samples")
        ->check(CLI::Range(1, 100000));
    eval_cmd->add_flag("--binarized", opt.binarized,
                       "on the test set binarised once with a fixed seed (the IWAE paper's protocol)");
    interpolate_cmd->add_option("--from", opt.from, "first test image (index)")->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    interpolate_cmd->add_option("--to", opt.to, "last test image (index)")->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    interpolate_cmd->add_option("--steps", opt.steps, "decoded images between the two originals")
        ->capture_default_str()->check(CLI::Range(2, 100));
    interpolate_cmd->add_option("--out", opt.strip, "the PNG strip to write")->capture_default_str()
        ->check(examples::extension_check({".png"}, "a PNG image"));
    sample_cmd->add_option("--out", opt.common.out, "folder for the PNG files")->capture_default_str();
    sample_cmd->add_option("--n", opt.n, "number of samples (a grid of about sqrt(n) x sqrt(n))")
        ->capture_default_str()
        ->check(CLI::Range(1, 10000));
    return examples::run(app, argc, argv, [&] {
        examples::apply_threads(opt.common);
        examples::on_device(opt.common, [&]<class D>() {
            if (train_cmd->parsed()) train<D>(opt);
            else if (eval_cmd->parsed()) eval<D>(opt);
            else if (interpolate_cmd->parsed()) interpolate<D>(opt);
            else sample<D>(opt);
        });
    });
}
