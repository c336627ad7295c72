// The hot path does not allocate: after warm-up (scratch vectors and the
// output batch at their working size), processing inputs performs no heap
// allocation at all. Counted with a replaced global operator new.
#include <atomic>
#include <cstdlib>
#include <new>

#include "driver/chip/model.h"
#include "gtest/gtest.h"
#include "tests/bench/networks.h"

namespace {
std::atomic<uint64_t> allocations{0};
}  // namespace

void* operator new(size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace speckd::chip {
namespace {

void ExpectNoAllocationsAfterWarmUp(const SpeckConfig& config,
                                    const std::vector<InputEvent>& input) {
  auto model = std::move(ChipModel::Create(config)).value();
  OutputBatch out;
  constexpr size_t kBlock = 4096;
  auto run = [&] {
    for (size_t i = 0; i < input.size(); i += kBlock) {
      model->Process(&input[i], std::min(kBlock, input.size() - i), &out);
      out.clear();
    }
  };
  run();  // warm-up
  model->SetTime(0);
  const uint64_t before = allocations.load();
  run();
  EXPECT_EQ(allocations.load() - before, 0u);
  EXPECT_GT(model->stats().TotalSynops(), 0u);
}

TEST(ModelAllocationTest, TutorialNetworkHotPathDoesNotAllocate) {
  ExpectNoAllocationsAfterWarmUp(bench::TutorialNetwork(),
                                 bench::TutorialInput(100000));
}

TEST(ModelAllocationTest, MultiCoreDvsNetworkHotPathDoesNotAllocate) {
  ExpectNoAllocationsAfterWarmUp(bench::GestureNetwork(),
                                 bench::RandomDvsInput(20000, 3));
}

}  // namespace
}  // namespace speckd::chip
