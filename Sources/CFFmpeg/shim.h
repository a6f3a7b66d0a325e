#ifndef KINETO_CFFMPEG_SHIM_H
#define KINETO_CFFMPEG_SHIM_H
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libavutil/avutil.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libavutil/display.h>
#include <libavutil/channel_layout.h>
#include <libavutil/audio_fifo.h>
#include <libswscale/swscale.h>
#include <libswresample/swresample.h>
#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>

// Swift cannot see function-like macros; these expose the ones Kineto needs.
static inline int kineto_averror(int e) { return AVERROR(e); }
static inline int kineto_averror_eof(void) { return AVERROR_EOF; }
static inline int64_t kineto_nopts(void) { return AV_NOPTS_VALUE; }
#endif
