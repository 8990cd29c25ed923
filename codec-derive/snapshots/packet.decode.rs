const _: () = {
    use ::codec as _codec;
    #[automatically_derived]
    impl<'de: 'a, 'a> Packet<'a> {
        #[inline(always)]
        fn __codec_decode<__T: _codec::__private::Trace>(
            __r: &mut _codec::Reader<'de>,
            __whole: _codec::__private::bool,
            __t: &mut __T,
        ) -> _codec::__private::Result<Self, _codec::DecodeError> {
            let tag: u64 = _codec::__private::decode_ctx(
                {
                    _codec::__private::Trace::enter(__t, "tag");
                    let __v = _codec::__private::Trace::leaf(
                        __t,
                        __r,
                        |__r| _codec::__private::read_base128::<u64>(__r, true),
                    );
                    _codec::__private::Trace::leave(__t);
                    __v
                },
                "Packet",
                "tag",
            )?;
            let flags: u64 = _codec::__private::decode_ctx(
                {
                    _codec::__private::Trace::enter(__t, "flags");
                    let __v = _codec::__private::Trace::leaf(
                        __t,
                        __r,
                        |__r| _codec::__private::read_base128::<u64>(__r, true),
                    );
                    _codec::__private::Trace::leave(__t);
                    __v
                },
                "Packet",
                "flags",
            )?;
            let channel: Option<u64> = _codec::__private::decode_ctx(
                {
                    _codec::__private::Trace::enter(__t, "channel");
                    let __v = if flags & 1 != 0 {
                        (_codec::__private::Trace::leaf(
                            __t,
                            __r,
                            |__r| _codec::__private::read_base128::<u64>(__r, true),
                        ))
                            .map(_codec::__private::Some)
                    } else {
                        _codec::__private::Ok(_codec::__private::None)
                    };
                    _codec::__private::Trace::leave(__t);
                    __v
                },
                "Packet",
                "channel",
            )?;
            let payload: &'a [u8] = _codec::__private::decode_ctx(
                {
                    _codec::__private::Trace::enter(__t, "payload");
                    let __v = _codec::__private::Trace::rest::<
                        &'a [u8],
                    >(__t, __r, _codec::Endian::Big);
                    _codec::__private::Trace::leave(__t);
                    __v
                },
                "Packet",
                "payload",
            )?;
            if __whole {
                __r.finish()?;
            }
            _codec::__private::Ok(Self {
                tag: tag,
                flags: flags,
                channel: channel,
                payload: payload,
            })
        }
    }
    #[automatically_derived]
    impl<'de: 'a, 'a> _codec::Decode<'de> for Packet<'a> {
        const MIN_LEN: _codec::__private::usize = 0 + 1 + 1 + 0 + 0;
        #[inline]
        fn decode_with(
            __r: &mut _codec::Reader<'de>,
            _: _codec::Endian,
        ) -> _codec::__private::Result<Self, _codec::DecodeError> {
            Self::__codec_decode(__r, false, &mut _codec::__private::NoTrace)
        }
        #[inline]
        fn from_bytes(
            __bytes: &'de [_codec::__private::u8],
        ) -> _codec::__private::Result<Self, _codec::DecodeError> {
            Self::__codec_decode(
                &mut _codec::Reader::new(__bytes),
                true,
                &mut _codec::__private::NoTrace,
            )
        }
        fn explain_with(
            __r: &mut _codec::Reader<'de>,
            _: _codec::Endian,
            __out: &mut _codec::Explainer,
        ) -> _codec::__private::Result<Self, _codec::DecodeError> {
            Self::__codec_decode(__r, false, __out)
        }
        fn explain_vec(
            __r: &mut _codec::Reader<'de>,
            __count: _codec::__private::usize,
            __order: _codec::Endian,
            __out: &mut _codec::Explainer,
        ) -> _codec::__private::Result<
            _codec::__private::Vec<Self>,
            _codec::DecodeError,
        > {
            _codec::__private::explain_each(__r, __count, __order, __out)
        }
    }
};
