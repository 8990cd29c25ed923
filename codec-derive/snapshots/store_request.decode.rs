const _: () = {
    use ::codec as _codec;
    #[automatically_derived]
    impl<'de> StoreRequest {
        #[inline(always)]
        fn __codec_decode<__T: _codec::__private::Trace>(
            __r: &mut _codec::Reader<'de>,
            __whole: _codec::__private::bool,
            __t: &mut __T,
        ) -> _codec::__private::Result<Self, _codec::DecodeError> {
            let (trans, __n_name) = {
                let __base = __r.offset();
                match _codec::__private::take_run::<
                    __T,
                    {
                        0 + <u8 as _codec::__private::Fixed>::SIZE
                            + <_codec::__private::u8 as _codec::__private::Fixed>::SIZE
                    },
                >(__r) {
                    _codec::__private::Some(__run) => {
                        let __run: &[_codec::__private::u8] = __run;
                        let mut __at = 0usize;
                        let trans: u8 = _codec::__private::decode_ctx(
                            <u8 as _codec::__private::Fixed>::get(
                                __run,
                                &mut __at,
                                _codec::Endian::Big,
                                __base,
                            ),
                            "StoreRequest",
                            "trans",
                        )?;
                        let __n_name: _codec::__private::usize = _codec::__private::decode_ctx(
                            _codec::__private::get_len::<
                                _codec::__private::u8,
                            >(__run, &mut __at, _codec::Endian::Big, __base),
                            "StoreRequest",
                            "name",
                        )?;
                        (trans, __n_name)
                    }
                    _codec::__private::None => {
                        let trans = _codec::__private::decode_ctx(
                            {
                                _codec::__private::Trace::enter(__t, "trans");
                                let __v = _codec::__private::Trace::field::<
                                    u8,
                                >(__t, __r, _codec::Endian::Big);
                                _codec::__private::Trace::leave(__t);
                                __v
                            },
                            "StoreRequest",
                            "trans",
                        )?;
                        let __n_name = _codec::__private::decode_ctx(
                            {
                                _codec::__private::Trace::enter(__t, "name");
                                let __v = {
                                    _codec::__private::Trace::enter(__t, "len");
                                    let __v = _codec::__private::Trace::leaf(
                                        __t,
                                        __r,
                                        |__r| _codec::__private::read_len(
                                            __r,
                                            _codec::__private::LenPrefix::U8,
                                            _codec::Endian::Big,
                                        ),
                                    );
                                    _codec::__private::Trace::leave(__t);
                                    __v
                                };
                                _codec::__private::Trace::leave(__t);
                                __v
                            },
                            "StoreRequest",
                            "name",
                        )?;
                        (trans, __n_name)
                    }
                }
            };
            let name: String = _codec::__private::decode_ctx(
                {
                    _codec::__private::Trace::enter(__t, "name");
                    let __v = _codec::__private::Trace::seq::<
                        String,
                    >(
                        __t,
                        __r,
                        __n_name,
                        _codec::__private::Unit::Elements,
                        _codec::Endian::Big,
                    );
                    _codec::__private::Trace::leave(__t);
                    __v
                },
                "StoreRequest",
                "name",
            )?;
            let __n_data = _codec::__private::decode_ctx(
                {
                    _codec::__private::Trace::enter(__t, "data");
                    let __v = {
                        _codec::__private::Trace::enter(__t, "len");
                        let __v = _codec::__private::Trace::leaf(
                            __t,
                            __r,
                            |__r| _codec::__private::read_len(
                                __r,
                                _codec::__private::LenPrefix::U16,
                                _codec::Endian::Big,
                            ),
                        );
                        _codec::__private::Trace::leave(__t);
                        __v
                    };
                    _codec::__private::Trace::leave(__t);
                    __v
                },
                "StoreRequest",
                "data",
            )?;
            let data: Vec<u8> = _codec::__private::decode_ctx(
                {
                    _codec::__private::Trace::enter(__t, "data");
                    let __v = _codec::__private::Trace::seq::<
                        Vec<u8>,
                    >(
                        __t,
                        __r,
                        __n_data,
                        _codec::__private::Unit::Elements,
                        _codec::Endian::Big,
                    );
                    _codec::__private::Trace::leave(__t);
                    __v
                },
                "StoreRequest",
                "data",
            )?;
            if __whole {
                __r.finish()?;
            }
            _codec::__private::Ok(Self {
                trans: trans,
                name: name,
                data: data,
            })
        }
    }
    #[automatically_derived]
    impl<'de> _codec::Decode<'de> for StoreRequest {
        const MIN_LEN: _codec::__private::usize = 0
            + <u8 as _codec::Decode<'de>>::MIN_LEN + 1usize + 2usize;
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
