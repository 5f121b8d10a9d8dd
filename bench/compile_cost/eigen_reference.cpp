// The yardstick of scripts/compile-cost.sh: a small Eigen/Dense program of the README program's
// size (a 64x64 product and a Cholesky solve), what a C++ engineer expects a 20-line numeric
// program to cost to compile.
#include <Eigen/Dense>
#include <cstdio>

int main() {
    Eigen::MatrixXf a = Eigen::MatrixXf::Random(64, 64), b = Eigen::MatrixXf::Random(64, 64);
    Eigen::MatrixXf c = a * b;
    Eigen::MatrixXf spd = c * c.transpose() + 64 * Eigen::MatrixXf::Identity(64, 64);
    Eigen::VectorXf x = spd.llt().solve(Eigen::VectorXf::Ones(64));
    std::printf("%f\n", x.sum());
}
