#pragma once
// Files: checkpoints (safetensors), sample grids (PNG), loss curves (SVG), metrics (CSV), a
// progress bar and TensorBoard event files (SummaryWriter). Everything here reads or writes host
// memory; device tensors are copied to the host.
#include "atomic_file.hpp"
#include "folder_lock.hpp"
#include "metadata.hpp"
#include "named_tensors.hpp"
#include "safetensors_header.hpp"
#include "safetensors.hpp"
#include "png.hpp"
#include "image.hpp"
#include "plot.hpp"
#include "csv.hpp"
#include "progress.hpp"
#include "crc32c.hpp"
#include "protobuf.hpp"
#include "tfrecord.hpp"
#include "events.hpp"
#include "event_files.hpp"
#include "summary_writer.hpp"
